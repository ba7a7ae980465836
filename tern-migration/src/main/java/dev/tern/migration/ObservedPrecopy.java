package dev.tern.migration;

/**
 * Pre-copy progress of a device that does not report it (no PRECOPY_INFO: plain vfio-user, spec
 * "VFIO_USER_MIG_DATA_READ"), learnt from its stream alone. A round drains the stream until the device has nothing
 * more for now (a read of 0 bytes); the first complete drain is the device's initial data, and the bytes each later
 * drain took are what the device produces in a round, which is what the stop-copy will still have to carry.
 */
final class ObservedPrecopy {

    private long last;
    private long previous;
    private int drains;
    private boolean drained;

    /** Records one round: {@code bytes} read, {@code complete} if it ended with the device having nothing more. */
    void round(final long bytes, final boolean complete) {
        previous = last;
        last = bytes;
        drained = complete;
        if (complete) {
            drains++;
        }
    }

    /** @return true once a round read everything the device had (its initial data is all sent) */
    boolean initialSent() {
        return drains > 0;
    }

    /** @return true if the last round ended with the device having nothing more to send right now */
    boolean drained() {
        return drained;
    }

    /**
     * @return the bytes a stop-copy would carry, estimated from the last two rounds (the last one, or its linear
     *         trend if rounds grow); after a round cut short, at least twice what it read (more was pending)
     */
    long estimate() {
        final long trend = Math.max(last, 2 * last - previous);
        return drained ? trend : Math.max(trend, 2 * last);
    }
}
