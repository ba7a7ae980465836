package dev.tern.migration;

/**
 * The heartbeat rule of a session (a pure function of time, driven by {@link ProgressWatchdog}): each side sends a
 * {@code HEARTBEAT} record on the control connection when it has written nothing for {@link #heartbeatNanos()}, so
 * a side busy in a long step (a slow device arc, a large load) still shows its peer it is alive; a side gives up
 * once it has read nothing at all from its peer — data, control or heartbeat — for the whole timeout (a hung
 * process, a dropped route).
 */
final class Liveness {


    /** What the watchdog does on one tick. */
    enum Action {
        /** Nothing to do. */
        NONE,
        /** Send a heartbeat: this side has been quiet for a quarter of the timeout. */
        HEARTBEAT,
        /** Give up: nothing read from the peer for the timeout. */
        GIVE_UP
    }

    private final long timeoutNanos;
    private final long heartbeatNanos;
    private long lastRead;
    private long lastWritten;
    private long readAt;
    private long writtenAt;

    /**
     * @param timeoutNanos   how long the peer may be silent
     * @param heartbeatNanos the longest this side stays quiet (0: never send); at most a quarter of the timeout is
     *                       used. It does not follow this side's timeout alone: the peer's may be shorter.
     * @param now            the clock's time at the start
     */
    Liveness(final long timeoutNanos, final long heartbeatNanos, final long now) {
        this.timeoutNanos = timeoutNanos;
        this.heartbeatNanos = heartbeatNanos == 0 ? Long.MAX_VALUE : Math.min(timeoutNanos / 4, heartbeatNanos);
        this.readAt = now;
        this.writtenAt = now;
    }

    /** @return the heartbeat interval ({@link Long#MAX_VALUE}: none) */
    long heartbeatNanos() {
        return heartbeatNanos;
    }

    /**
     * @param now     the clock's time
     * @param read    bytes read from the peer so far, over every connection of the session
     * @param written bytes written to the peer so far
     * @return what to do now
     */
    Action tick(final long now, final long read, final long written) {
        if (read != lastRead) {
            lastRead = read;
            readAt = now;
        }
        if (written != lastWritten) {
            lastWritten = written;
            writtenAt = now;
        }
        if (now - readAt > timeoutNanos) {
            return Action.GIVE_UP;
        }
        if (now - writtenAt >= heartbeatNanos) {
            writtenAt = now;
            return Action.HEARTBEAT;
        }
        return Action.NONE;
    }
}
