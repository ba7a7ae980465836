package dev.tern.migration.snapshot;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The first 16 bytes of a snapshot file (docs/snapshot-format.md). Big-endian like every Tern wire format.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  0: magic      "TERNSNP1" (8 ASCII bytes; not the migration   |
 *  |                stream's "TERNMIG1")                           |
 *  +-------------------------------+-------------------------------+
 *  |  8: version    u16 = 1        | 10: records  u16, 1..64       |
 *  +-------------------------------+-------------------------------+
 *  | 12: reserved   u32 = 0                                        |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param records how many records follow (device records, then at most one memory record)
 */
public record SnapshotHeader(int records) {
    /** The only version this implementation writes and reads. */
    public static final int VERSION = 1;
    /** Encoded size. */
    public static final int SIZE = 16;
    /** Most records a file may hold. */
    public static final int MAX_RECORDS = 64;

    private static final byte[] MAGIC = "TERNSNP1".getBytes(StandardCharsets.US_ASCII);

    /** Checks the count. */
    public SnapshotHeader {
        if (records < 1 || records > MAX_RECORDS) {
            throw new IllegalArgumentException(records + " records; a snapshot holds 1.." + MAX_RECORDS);
        }
    }

    /** {@return the 16 encoded bytes} */
    public ByteBuffer encode() {
        return ByteBuffer.allocate(SIZE).put(MAGIC).putShort((short) VERSION).putShort((short) records).putInt(0)
                .flip();
    }

    /**
     * Reads and checks a header as {@link #encode} writes it.
     *
     * @param b exactly {@link #SIZE} bytes
     * @return the header
     * @throws SnapshotException for another magic, another version or a record count out of range
     */
    public static SnapshotHeader decode(final ByteBuffer b) throws SnapshotException {
        final byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new SnapshotException("not a Tern snapshot (magic " + printable(magic) + ", expected TERNSNP1)");
        }
        final int version = Short.toUnsignedInt(b.getShort());
        if (version != VERSION) {
            throw new SnapshotException("snapshot format version " + version + "; this Tern reads " + VERSION);
        }
        final int records = Short.toUnsignedInt(b.getShort());
        if (records < 1 || records > MAX_RECORDS || b.getInt() != 0) {
            throw new SnapshotException("snapshot header damaged (" + records + " records, reserved word set)");
        }
        return new SnapshotHeader(records);
    }

    private static String printable(final byte[] bytes) {
        final StringBuilder s = new StringBuilder();
        for (final byte x : bytes) {
            s.append(x >= 0x20 && x < 0x7f ? (char) x : '.');
        }
        return "'" + s + "'";
    }
}
