package dev.tern.protocol;

/**
 * What an arc does to the migration data stream (uAPI, "data_fd" rules): the saving group shares one session,
 * RESUMING has its own, and only the final arc of a combination transition may open one.
 */
public enum DataSession {
    /** The arc neither opens nor ends a stream. */
    NONE,
    /** A new saving stream starts (RUNNING→PRE_COPY, RUNNING_P2P→PRE_COPY_P2P, STOP→STOP_COPY). */
    OPENS_SAVING,
    /** A new resuming sink starts (STOP→RESUMING). */
    OPENS_RESUMING,
    /** The arc stays inside the saving group; the same stream continues. */
    CONTINUES_SAVING,
    /** The saving stream ends (leaving the saving group). */
    ENDS_SAVING,
    /** The resuming sink ends: written data is validated and applied (RESUMING→STOP). */
    ENDS_RESUMING
}
