package dev.tern.migration.wire;

/**
 * Limits of the migration stream shared by both ends.
 */
public final class Records {
    /**
     * Largest payload a {@link RecordReader} accepts by default: 16 MiB. A writer splits device data into chunks
     * no larger than this; a length field above the reader's limit is rejected before anything is allocated.
     */
    public static final int MAX_PAYLOAD = 16 << 20;

    private Records() {
    }
}
