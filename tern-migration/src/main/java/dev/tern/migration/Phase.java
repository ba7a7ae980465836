package dev.tern.migration;

/** The phases of a migration, in order; the timeline and failure reports name them. */
public enum Phase {
    /** Connect and compare devices; nothing has changed on either side yet. */
    HANDSHAKE,
    /** Devices in PRE_COPY and guest memory streaming in rounds while everything runs. */
    PRE_COPY,
    /** Guest paused; every device to its P2P-quiesced state before any stops. */
    P2P,
    /** Devices in STOP_COPY, final state and dirty memory drained in parallel. */
    STOP_COPY,
    /** Destination loads: RESUMING → STOP → RUNNING_P2P, checksums. */
    LOAD,
    /** The commit point and the destination's devices to RUNNING. */
    COMMIT,
    /** Source devices STOP_COPY → STOP after the commit, off the downtime path. */
    CLEANUP
}
