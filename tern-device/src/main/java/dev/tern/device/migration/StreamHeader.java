package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The header the engine puts in front of every saving stream, so a destination rejects state it cannot load
 * (another device kind, a format version it does not know) before touching the device — mtty's magic/version/flags
 * header does the same (spec §3). Little-endian:
 *
 * <pre>
 *   0                   4                   8
 *   +-------------------+-------------------+
 *   |        magic "TERNDEV1" (u64)         |
 *   +-------------------+---------+---------+
 *   |  format version   |  flags  | kindLen |   u32, u16, u16
 *   +-------------------+---------+---------+
 *   |  kind, kindLen bytes of UTF-8 ...     |   1..64 bytes
 *   +---------------------------------------+
 * </pre>
 *
 * @param formatVersion the device's state format version
 * @param flags {@link #FLAG_PRE_COPY} or 0
 * @param kind the device kind
 */
public record StreamHeader(int formatVersion, int flags, String kind) {

    /**
     * "TERNDEV1" read as a little-endian u64: distinct from the big-endian migration channel's "TERNMIG1" preamble
     * and the snapshot file's "TERNSNP1", so no Tern format is ever taken for another.
     */
    public static final long MAGIC = 0x315645444E524554L;
    /** Bytes before the kind. */
    public static final int FIXED_LENGTH = 16;
    /** Longest kind in bytes. */
    public static final int MAX_KIND = 64;
    /** The stream began with pre-copy data. */
    public static final int FLAG_PRE_COPY = 1;

    private static final int KNOWN_FLAGS = FLAG_PRE_COPY;

    /** Validates the fields. */
    public StreamHeader {
        final int len = kind.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > MAX_KIND || (flags & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("bad stream header kind or flags");
        }
    }

    /** {@return the encoded header, positioned at 0} */
    public ByteBuffer encode() {
        final byte[] k = kind.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer b = ByteBuffer.allocate(FIXED_LENGTH + k.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putInt(formatVersion).putShort((short) flags).putShort((short) k.length).put(k);
        return b.flip();
    }

    /** {@return the encoded length} */
    public int length() {
        return FIXED_LENGTH + kind.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Reads the total header length from its first {@value #FIXED_LENGTH} bytes, checking the magic.
     *
     * @param fixed at least 16 bytes from position 0 (position unchanged)
     * @return the header's length in bytes, kind included
     * @throws DeviceException EINVAL if the bytes are not a Tern stream header
     */
    public static int totalLength(final ByteBuffer fixed) throws DeviceException {
        final ByteBuffer b = fixed.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC) {
            throw new DeviceException(Errno.EINVAL, "not a Tern migration stream (bad magic 0x"
                    + Long.toHexString(b.getLong(0)) + ")");
        }
        final int kindLen = Short.toUnsignedInt(b.getShort(14));
        if (kindLen == 0 || kindLen > MAX_KIND) {
            throw new DeviceException(Errno.EINVAL, "stream header kind length " + kindLen + " out of range");
        }
        return FIXED_LENGTH + kindLen;
    }

    /**
     * Decodes a whole header.
     *
     * @param whole exactly {@link #totalLength} bytes from position 0 (position unchanged)
     * @return the header
     * @throws DeviceException EINVAL for a bad magic, length or unknown flags
     */
    public static StreamHeader decode(final ByteBuffer whole) throws DeviceException {
        final int total = totalLength(whole);
        if (whole.remaining() < total) {
            throw new DeviceException(Errno.EINVAL, "stream header truncated");
        }
        final ByteBuffer b = whole.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        final int version = b.getInt(8);
        final int flags = Short.toUnsignedInt(b.getShort(12));
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new DeviceException(Errno.EINVAL, "stream header has unknown flags 0x" + Integer.toHexString(flags));
        }
        final byte[] k = new byte[total - FIXED_LENGTH];
        b.get(FIXED_LENGTH, k);
        return new StreamHeader(version, flags, new String(k, StandardCharsets.UTF_8));
    }

    /**
     * Checks that a device of {@code hooks}' kind can load this stream.
     *
     * @param hooks the destination device's hooks (kind and accepted format versions)
     * @throws DeviceException EINVAL for another kind or an unsupported version
     */
    public void checkLoadableBy(final MigrationHooks hooks) throws DeviceException {
        if (!kind.equals(hooks.kind())) {
            throw new DeviceException(Errno.EINVAL, "stream holds state of a '" + kind + "' device, not '"
                    + hooks.kind() + "'");
        }
        if (!hooks.acceptsFormatVersion(formatVersion)) {
            throw new DeviceException(Errno.EINVAL, "'" + kind + "' state format version " + formatVersion
                    + " is not supported (this build writes version " + hooks.formatVersion() + ")");
        }
    }
}
