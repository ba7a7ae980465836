package dev.tern.migration;

/**
 * What a failed migration leaves on the source (spec live-migration.md §3, the commit point): before the COMMIT
 * record leaves, the source recovers and runs again; after it, the source cannot know whether the destination runs
 * the devices, so it keeps them stopped with their state intact — unless the destination said otherwise: an ABORT is
 * only ever sent before it commits, and a "rolled back" answer to an outcome query is final.
 */
enum FailureRule {
    /** Put every source device back to RUNNING and resume the guest. */
    RECOVER,
    /** Keep the source stopped and intact; {@code tern resolve} learns which side must run. */
    IN_DOUBT;

    /**
     * @param committed   the COMMIT record was written
     * @param rolledBack  an outcome query answered "rolled back"
     * @param peerAborted the destination sent ABORT
     * @return what the source does
     */
    static FailureRule of(final boolean committed, final boolean rolledBack, final boolean peerAborted) {
        return committed && !rolledBack && !peerAborted ? IN_DOUBT : RECOVER;
    }
}
