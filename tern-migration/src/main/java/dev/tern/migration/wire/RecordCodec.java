package dev.tern.migration.wire;

import java.nio.ByteBuffer;

/**
 * Layout of one migration stream record, as a flyweight over a header buffer: field offsets as constants, absolute
 * big-endian accessors, no allocation. {@link RecordWriter} and {@link RecordReader} do the I/O.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bits)
 *  +---------------------------------------------------------------+
 *  |  0: payload length    u32, bytes of payload only              |
 *  +-------------------------------+-------------------------------+
 *  |  4: kind              u16     |  6: flags             u16 = 0 |
 *  +-------------------------------+-------------------------------+
 *  |  8: device id         u32                                     |
 *  +---------------------------------------------------------------+
 *  | 12: sequence          u32, per connection: 0, 1, 2, ...       |
 *  +---------------------------------------------------------------+
 *  | 16: payload (length bytes) ...                                |
 *  +---------------------------------------------------------------+
 *  | 16 + length: CRC32C   u32 over the 16 header bytes + payload  |
 *  |   (authenticated session: HMAC-SHA256/128, 16 bytes, keyed    |
 *  |    per connection and direction, same coverage; RecordSeal)   |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Everything is big-endian. The sequence number makes a dropped, repeated or reordered record visible; the CRC32C
 * (Castagnoli, hardware-accelerated by the JIT) covers the header too, so a flipped bit anywhere is caught.
 * Example: a {@code HEARTBEAT} (14) for device 0 as record 5 with an empty payload is
 * {@code 00 00 00 00 00 0e 00 00 00 00 00 00 00 00 00 05} followed by its four CRC bytes.
 */
public final class RecordCodec {
    /** Offset of the u32 payload length. */
    public static final int LENGTH_OFFSET = 0;
    /** Offset of the u16 kind code. */
    public static final int KIND_OFFSET = 4;
    /** Offset of the u16 flags, all reserved (zero). */
    public static final int FLAGS_OFFSET = 6;
    /** Offset of the u32 device id. */
    public static final int DEVICE_ID_OFFSET = 8;
    /** Offset of the u32 sequence number. */
    public static final int SEQUENCE_OFFSET = 12;
    /** Size of the header, which precedes the payload. */
    public static final int HEADER_SIZE = 16;
    /** Size of the trailer (the CRC32C), which follows the payload. */
    public static final int TRAILER_SIZE = 4;

    private RecordCodec() {
    }

    /**
     * Writes a header at absolute offset 0 of {@code header}, leaving its position and limit alone.
     *
     * @param header        at least {@link #HEADER_SIZE} bytes, big-endian
     * @param payloadLength bytes of payload
     * @param kindCode      u16 kind code
     * @param flags         u16 flags (0 for every record Tern writes)
     * @param deviceId      u32 device id
     * @param sequence      u32 sequence number
     */
    public static void putHeader(final ByteBuffer header, final int payloadLength, final int kindCode,
            final int flags, final int deviceId, final int sequence) {
        header.putInt(LENGTH_OFFSET, payloadLength);
        header.putShort(KIND_OFFSET, (short) kindCode);
        header.putShort(FLAGS_OFFSET, (short) flags);
        header.putInt(DEVICE_ID_OFFSET, deviceId);
        header.putInt(SEQUENCE_OFFSET, sequence);
    }

    /**
     * {@return the payload length, unsigned}
     *
     * @param header a header at absolute offset {@code at}
     * @param at     where the header starts
     */
    public static long payloadLength(final ByteBuffer header, final int at) {
        return Integer.toUnsignedLong(header.getInt(at + LENGTH_OFFSET));
    }

    /**
     * {@return the kind code, unsigned}
     *
     * @param header a header at absolute offset {@code at}
     * @param at     where the header starts
     */
    public static int kindCode(final ByteBuffer header, final int at) {
        return Short.toUnsignedInt(header.getShort(at + KIND_OFFSET));
    }

    /**
     * {@return the flags, unsigned}
     *
     * @param header a header at absolute offset {@code at}
     * @param at     where the header starts
     */
    public static int flags(final ByteBuffer header, final int at) {
        return Short.toUnsignedInt(header.getShort(at + FLAGS_OFFSET));
    }

    /**
     * {@return the device id, raw bits}
     *
     * @param header a header at absolute offset {@code at}
     * @param at     where the header starts
     */
    public static int deviceId(final ByteBuffer header, final int at) {
        return header.getInt(at + DEVICE_ID_OFFSET);
    }

    /**
     * {@return the sequence number, raw bits}
     *
     * @param header a header at absolute offset {@code at}
     * @param at     where the header starts
     */
    public static int sequence(final ByteBuffer header, final int at) {
        return header.getInt(at + SEQUENCE_OFFSET);
    }

    /**
     * Encodes one whole record into a new heap buffer, with any field values, valid or not: for tests and tools
     * that need to put exact bytes on a stream. The hot path is {@link RecordWriter}.
     *
     * @param kindCode u16 kind code
     * @param flags    u16 flags
     * @param deviceId u32 device id
     * @param sequence u32 sequence number
     * @param payload  the payload from position to limit (not consumed)
     * @return header, payload and correct CRC32C, ready to read
     */
    public static ByteBuffer encode(final int kindCode, final int flags, final int deviceId, final int sequence,
            final ByteBuffer payload) {
        return encode(kindCode, flags, deviceId, sequence, payload, RecordSeal.crc32c());
    }

    /**
     * As {@link #encode(int, int, int, int, ByteBuffer)}, with the trailer {@code seal} computes (a keyed MAC).
     *
     * @param kindCode u16 kind code
     * @param flags    u16 flags
     * @param deviceId u32 device id
     * @param sequence u32 sequence number
     * @param payload  the payload from position to limit (not consumed)
     * @param seal a fresh or reset seal
     * @return header, payload and trailer, ready to read
     */
    public static ByteBuffer encode(final int kindCode, final int flags, final int deviceId, final int sequence,
            final ByteBuffer payload, final RecordSeal seal) {
        final int length = payload.remaining();
        final ByteBuffer out = ByteBuffer.allocate(HEADER_SIZE + length + seal.size());
        putHeader(out, length, kindCode, flags, deviceId, sequence);
        out.put(HEADER_SIZE, payload, payload.position(), length);
        seal.reset();
        seal.update(out.slice(0, HEADER_SIZE + length));
        final byte[] tag = new byte[seal.size()];
        seal.finish(tag);
        out.put(HEADER_SIZE + length, tag);
        return out;
    }
}
