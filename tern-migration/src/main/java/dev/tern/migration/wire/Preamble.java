package dev.tern.migration.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The first bytes on every migration connection, before any record: what the connection is for and which session
 * it belongs to. Fixed size, big-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bits)
 *  +---------------------------------------------------------------+
 *  |  0: magic             "TERNMIG1" (8 ASCII bytes)              |
 *  |                                                               |
 *  +-------------------------------+---------------+---------------+
 *  |  8: version           u16 = 1 | 10: flags u8  | 11: role u8   |
 *  |                               | bit 0 AUTH    | 1 CONTROL,    |
 *  |                               |               | 2 DATA,       |
 *  |                               |               | 3 QUERY       |
 *  +-------------------------------+---------------+---------------+
 *  | 12: data connections  u32, how many data connections the      |
 *  |     session has (one per device)                              |
 *  +---------------------------------------------------------------+
 *  | 16: session id        u64, random, chosen by the source       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 24: device index      u32, 0..data connections-1; 0 (CONTROL) |
 *  +---------------------------------------------------------------+
 *  | 28: CRC32C            u32 over bytes 0..27                    |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Magic and version come first and are checked first, so a peer speaking something else (or a later version of
 * this format) is told apart from a damaged preamble after at most ten bytes. Flags and role were one u16 role
 * before the flags existed; an unauthenticated preamble is byte for byte what it was.
 * <p>
 * With flag AUTH the source proves it holds the session secret before anything else is read
 * ({@code channel.SessionAuth}), and every record of the connection carries a keyed MAC instead of the CRC32C. A
 * QUERY connection asks the destination what became of session {@code sessionId} after the commit point (issue 9
 * item 13); its device index and data connections are 0.
 *
 * @param version         format version, {@link #VERSION}
 * @param role            control or data connection
 * @param sessionId       the session this connection belongs to
 * @param deviceId        device index of a data connection; 0 for the control connection
 * @param dataConnections data connections of the session (both roles say it, so the two can be cross-checked)
 * @param authenticated   flag AUTH: a challenge–response follows, records carry a keyed MAC
 */
public record Preamble(int version, Role role, long sessionId, int deviceId, int dataConnections,
        boolean authenticated) {
    /** The only version this implementation speaks. */
    public static final int VERSION = 1;
    /** Encoded size in bytes. */
    public static final int SIZE = 32;
    /** Most data connections a session may have. */
    public static final int MAX_DATA_CONNECTIONS = 4096;

    private static final byte[] MAGIC = "TERNMIG1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION_OFFSET = 8;
    private static final int FLAGS_OFFSET = 10;
    private static final int ROLE_OFFSET = 11;
    private static final int FLAG_AUTH = 1;
    private static final int DATA_CONNECTIONS_OFFSET = 12;
    private static final int SESSION_OFFSET = 16;
    private static final int DEVICE_OFFSET = 24;
    private static final int CRC_OFFSET = 28;

    /** What a connection carries. */
    public enum Role {
        /** The one control connection of a session: HELLO, phase changes, commit, abort. */
        CONTROL(1),
        /** One device's data stream. */
        DATA(2),
        /** A question about a session's outcome after its commit point; one record each way. */
        QUERY(3);

        private final int code;

        Role(final int code) {
            this.code = code;
        }

        /**
         * {@return the u16 code on the wire}
         */
        public int code() {
            return code;
        }

        /** @return the role with this code, or null */
        static Role of(final int code) {
            for (final Role r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            return null;
        }
    }

    /**
     * An unauthenticated preamble.
     *
     * @param version the stream format version
     * @param role CONTROL, DATA or QUERY
     * @param sessionId the session's id
     * @param deviceId the data connection's index (0 otherwise)
     * @param dataConnections the session's data connections
     */
    public Preamble(final int version, final Role role, final long sessionId, final int deviceId,
            final int dataConnections) {
        this(version, role, sessionId, deviceId, dataConnections, false);
    }

    /** Checks ranges: u16 version, device index within the data connections, 0 for control. */
    public Preamble {
        Objects.requireNonNull(role, "role");
        if (version < 0 || version > 0xffff) {
            throw new IllegalArgumentException("version is a u16: " + version);
        }
        if (dataConnections < 0 || dataConnections > MAX_DATA_CONNECTIONS) {
            throw new IllegalArgumentException("data connections must be 0.." + MAX_DATA_CONNECTIONS + ": "
                    + dataConnections);
        }
        if (role != Role.DATA && deviceId != 0) {
            throw new IllegalArgumentException("a " + role.name().toLowerCase(java.util.Locale.ROOT)
                    + " connection has device index 0, not " + deviceId);
        }
        if (role == Role.DATA && (deviceId < 0 || deviceId >= dataConnections)) {
            throw new IllegalArgumentException("device index " + deviceId + " is not in 0.."
                    + (dataConnections - 1));
        }
    }

    /**
     * {@return the preamble of a control connection}
     *
     * @param sessionId       the session
     * @param dataConnections data connections that will follow
     */
    public static Preamble control(final long sessionId, final int dataConnections) {
        return new Preamble(VERSION, Role.CONTROL, sessionId, 0, dataConnections);
    }

    /**
     * {@return the preamble of a data connection}
     *
     * @param sessionId       the session
     * @param deviceIndex     which device this connection carries
     * @param dataConnections data connections of the session
     */
    public static Preamble data(final long sessionId, final int deviceIndex, final int dataConnections) {
        return new Preamble(VERSION, Role.DATA, sessionId, deviceIndex, dataConnections);
    }

    /**
     * {@return the preamble of an outcome query}
     *
     * @param sessionId the session asked about
     */
    public static Preamble query(final long sessionId) {
        return new Preamble(VERSION, Role.QUERY, sessionId, 0, 0);
    }

    /**
     * {@return this preamble with flag AUTH set or cleared}
     *
     * @param on true to set AUTH
     */
    public Preamble withAuthentication(final boolean on) {
        return new Preamble(version, role, sessionId, deviceId, dataConnections, on);
    }

    /** {@return the {@link #SIZE} bytes of this preamble (what a challenge–response signs)} */
    public byte[] encode() {
        final ByteBuffer out = ByteBuffer.allocate(SIZE);
        out.put(0, MAGIC);
        out.putShort(VERSION_OFFSET, (short) version);
        out.put(FLAGS_OFFSET, (byte) (authenticated ? FLAG_AUTH : 0));
        out.put(ROLE_OFFSET, (byte) role.code());
        out.putInt(DATA_CONNECTIONS_OFFSET, dataConnections);
        out.putLong(SESSION_OFFSET, sessionId);
        out.putInt(DEVICE_OFFSET, deviceId);
        out.putInt(CRC_OFFSET, crc(out));
        return out.array();
    }

    /**
     * Writes the {@link #SIZE} bytes of this preamble.
     *
     * @param channel a blocking channel
     * @throws IOException if the channel fails
     */
    public void write(final WritableByteChannel channel) throws IOException {
        final ByteBuffer out = ByteBuffer.wrap(encode());
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /**
     * Reads exactly {@link #SIZE} bytes (never more) and checks them.
     *
     * @param channel a blocking channel
     * @return the preamble
     * @throws EOFException           "peer closed the stream" before the first byte
     * @throws CorruptStreamException wrong magic, unsupported version, bad CRC, bad field, or truncated
     * @throws IOException            if the channel fails
     */
    public static Preamble read(final ReadableByteChannel channel) throws IOException {
        final ByteBuffer in = ByteBuffer.allocate(SIZE);
        readUpTo(channel, in, MAGIC.length);
        if (!Arrays.equals(in.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptStreamException("preamble: wrong magic "
                    + HexFormat.ofDelimiter(" ").formatHex(in.array(), 0, MAGIC.length) + ", not \"TERNMIG1\"");
        }
        readUpTo(channel, in, FLAGS_OFFSET);
        final int version = Short.toUnsignedInt(in.getShort(VERSION_OFFSET));
        if (version != VERSION) {
            throw new CorruptStreamException("preamble: unsupported version " + version + " (this side speaks "
                    + VERSION + ")");
        }
        readUpTo(channel, in, SIZE);
        final int sent = in.getInt(CRC_OFFSET);
        final int computed = crc(in);
        if (sent != computed) {
            throw new CorruptStreamException(String.format("preamble: CRC32C mismatch: stored 0x%08x, computed"
                    + " 0x%08x", sent, computed));
        }
        final int roleCode = Byte.toUnsignedInt(in.get(ROLE_OFFSET));
        final Role role = Role.of(roleCode);
        if (role == null) {
            throw new CorruptStreamException("preamble: unknown role " + roleCode);
        }
        final int flags = Byte.toUnsignedInt(in.get(FLAGS_OFFSET));
        if ((flags & ~FLAG_AUTH) != 0) {
            throw new CorruptStreamException(String.format("preamble: unknown flags 0x%02x", flags));
        }
        try {
            return new Preamble(version, role, in.getLong(SESSION_OFFSET), in.getInt(DEVICE_OFFSET),
                    in.getInt(DATA_CONNECTIONS_OFFSET), (flags & FLAG_AUTH) != 0);
        } catch (final IllegalArgumentException e) {
            throw new CorruptStreamException("preamble: " + e.getMessage());
        }
    }

    private static void readUpTo(final ReadableByteChannel channel, final ByteBuffer in, final int end)
            throws IOException {
        in.limit(end);
        while (in.hasRemaining()) {
            if (channel.read(in) < 0) {
                if (in.position() == 0) {
                    throw new EOFException("peer closed the stream");
                }
                throw new CorruptStreamException("preamble: stream ended after " + in.position() + " of " + SIZE
                        + " bytes");
            }
        }
    }

    private static int crc(final ByteBuffer preamble) {
        final CRC32C crc = new CRC32C();
        crc.update(preamble.array(), 0, CRC_OFFSET);
        return (int) crc.getValue();
    }
}
