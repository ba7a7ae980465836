package dev.tern.migration;

/**
 * A migration that did not complete. {@link #sourceRecovered()} says whether the source devices are back in
 * RUNNING with their state intact (any failure before the commit point), which is the promise Tern keeps.
 */
public final class MigrationFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Phase phase;
    private final boolean sourceRecovered;

    /**
     * @param phase where it failed
     * @param sourceRecovered true if the source devices run again with their state
     * @param message one line saying what happened
     * @param cause the underlying failure, or null
     */
    public MigrationFailedException(final Phase phase, final boolean sourceRecovered, final String message,
            final Throwable cause) {
        super(message, cause);
        this.phase = phase;
        this.sourceRecovered = sourceRecovered;
    }

    /** @return the phase that failed */
    public Phase phase() {
        return phase;
    }

    /** @return true if the source devices are RUNNING again with their state intact */
    public boolean sourceRecovered() {
        return sourceRecovered;
    }
}
