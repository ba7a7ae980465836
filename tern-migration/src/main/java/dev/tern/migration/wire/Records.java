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

    /** Longest text in a record (a name, a reason), in UTF-8 bytes. */
    public static final int MAX_TEXT = 1024;

    private Records() {
    }

    /**
     * {@return {@code u16 length | UTF-8 bytes}, flipped: the payload of an ABORT}
     *
     * @param reason free text, cut to {@link #MAX_TEXT} bytes
     */
    public static java.nio.ByteBuffer text(final String reason) {
        final byte[] b = reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final int n = Math.min(b.length, MAX_TEXT);
        return java.nio.ByteBuffer.allocate(2 + n).putShort((short) n).put(b, 0, n).flip();
    }
}
