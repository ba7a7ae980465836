package dev.tern.migration.snapshot;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The header of one record of a snapshot file; the payload follows it (docs/snapshot-format.md).
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |  0: type  u16 1 DEVICE,       |  2: kind length K  u16 ≤ 1024 |
 *  |           2 MEMORY            |                               |
 *  +-------------------------------+-------------------------------+
 *  |  4: name length N  u16 ≤ 1024 |  6: reserved u16 = 0          |
 *  +-------------------------------+-------------------------------+
 *  |  8: payload length P  u64                                     |
 *  +---------------------------------------------------------------+
 *  | 16: DEVICE: format version u32;  MEMORY: page size u32        |
 *  +---------------------------------------------------------------+
 *  | 20: DEVICE: migration flags u32; MEMORY: 0                    |
 *  +---------------------------------------------------------------+
 *  | 24: DEVICE: 0;                   MEMORY: base address u64     |
 *  +---------------------------------------------------------------+
 *  | 32: SHA-256 (32 bytes) of payload ‖ bytes 0..31 ‖ kind ‖ name |
 *  +---------------------------------------------------------------+
 *  | 64: kind (K bytes UTF-8), then name (N bytes UTF-8)           |
 *  +---------------------------------------------------------------+
 *  | 64+K+N: payload (P bytes): DEVICE the device's stop-copy      |
 *  |         stream as read from it; MEMORY the memory image       |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The digest covers the payload first, so a writer that learns the length only at the end of the stream hashes as it
 * writes and finishes with the header; it covers the header too, so a damaged flag or kind is caught as well.
 *
 * @param type     what the payload is
 * @param kind     DEVICE: {@code MigrationTarget.kind()}, compared on restore; MEMORY: {@code guest-memory}
 * @param name     the device as named when saved (informational)
 * @param length   payload bytes
 * @param version  DEVICE: the device's format version; MEMORY: the page size
 * @param flags    DEVICE: the device's migration flags; MEMORY: 0
 * @param base     MEMORY: where the image starts in guest physical / IOVA space; DEVICE: 0
 * @param digest   the 32-byte SHA-256
 */
public record SnapshotRecord(Type type, String kind, String name, long length, int version, int flags, long base,
        byte[] digest) {

    /** What a record holds. */
    public enum Type {
        /** A device's migration stream. */
        DEVICE,
        /** A guest memory image (issue 13). */
        MEMORY;

        int code() {
            return ordinal() + 1;
        }
    }

    /** The kind of every MEMORY record. */
    public static final String MEMORY_KIND = "guest-memory";
    /** Size of the fixed part. */
    public static final int FIXED = 64;
    /** Longest kind or name. */
    public static final int MAX_TEXT = 1024;
    /** Length of the digest. */
    public static final int DIGEST = 32;

    /** Checks the fields. */
    public SnapshotRecord {
        if (text(kind).length > MAX_TEXT || text(name).length > MAX_TEXT || length < 0
                || digest.length != DIGEST) {
            throw new IllegalArgumentException("record header out of range");
        }
    }

    /** {@return the header bytes, fixed part and text} */
    public ByteBuffer encode() {
        final byte[] k = text(kind);
        final byte[] n = text(name);
        return ByteBuffer.allocate(FIXED + k.length + n.length).put(covered()).put(digest).put(k).put(n).flip();
    }

    /** {@return the bytes of the fixed part the digest covers (0..31), then kind and name, as the digest sees them} */
    public byte[] covered() {
        return ByteBuffer.allocate(32).putShort((short) type.code()).putShort((short) text(kind).length)
                .putShort((short) text(name).length).putShort((short) 0).putLong(length).putInt(version)
                .putInt(flags).putLong(base).array();
    }

    /**
     * Feeds the header part of the digest (after the payload).
     *
     * @param sha the record's digest, fed the payload before
     */
    public void finish(final MessageDigest sha) {
        sha.update(covered());
        sha.update(text(kind));
        sha.update(text(name));
    }

    /**
     * Decodes the fixed part; the caller then reads {@link #kindLength} and {@link #nameLength} text bytes.
     *
     * @return {type code, kind length, name length} validated, the rest in {@code into}
     */
    static int[] decodeFixed(final ByteBuffer b) throws SnapshotException {
        final int type = Short.toUnsignedInt(b.getShort());
        final int k = Short.toUnsignedInt(b.getShort());
        final int n = Short.toUnsignedInt(b.getShort());
        final int reserved = Short.toUnsignedInt(b.getShort());
        if (type < 1 || type > Type.values().length || k > MAX_TEXT || n > MAX_TEXT || reserved != 0) {
            throw new SnapshotException("record header damaged (type " + type + ", text lengths " + k + "/" + n
                    + ")");
        }
        return new int[] {type, k, n};
    }

    /** Decodes a whole header: the fixed part in {@code fixed} (64 bytes), then the text. */
    static SnapshotRecord decode(final ByteBuffer fixed, final byte[] kind, final byte[] name, final int type)
            throws SnapshotException {
        final long length = fixed.getLong(8);
        if (length < 0) {
            throw new SnapshotException("record payload length " + Long.toUnsignedString(length) + " is absurd");
        }
        final byte[] digest = new byte[DIGEST];
        fixed.get(32, digest);
        return new SnapshotRecord(Type.values()[type - 1], new String(kind, StandardCharsets.UTF_8),
                new String(name, StandardCharsets.UTF_8), length, fixed.getInt(16), fixed.getInt(20),
                fixed.getLong(24), digest);
    }

    static int kindLength(final int[] fixed) {
        return fixed[1];
    }

    static int nameLength(final int[] fixed) {
        return fixed[2];
    }

    private static byte[] text(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
