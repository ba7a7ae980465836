package dev.tern.vfiouser.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * MIG_DATA_READ (command 17) request: read the next chunk of the migration stream in PRE_COPY or STOP_COPY
 * (specification "VFIO_USER_MIG_DATA_READ").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32, room for the reply (&gt;= 8 + size)              |
 *  +---------------------------------------------------------------+
 *  |  4: size   u32, bytes wanted (&lt;= max_data_xfer_size)          |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Observed: {@code 08 04 00 00 00 04 00 00} (argsz 0x408, size 0x400). libvfio-user answers EINVAL when
 * {@code size} exceeds the transfer limit or {@code argsz < 8 + size}; so do we. {@link #problem} is the one home of
 * that validation: the record decoder and the server's in-place path ({@link #argszAt}, {@link #sizeAt}, no record)
 * check through it, so the same bytes give the same errno either way.
 *
 * @param argsz u32 room for the reply
 * @param size  u32 bytes wanted
 */
public record MigDataRead(int argsz, int size) implements Request {
    /** Payload size (also the size of the reply's fixed part). */
    public static final int SIZE = 8;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * {@return a request with argsz = 8 + size}
     *
     * @param size bytes wanted
     */
    public static MigDataRead of(final int size) {
        return new MigDataRead(SIZE + size, size);
    }

    @Override
    public Command command() {
        return Command.MIG_DATA_READ;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(size);
    }

    /**
     * Writes the payload of a request for {@code size} bytes ({@code argsz = 8 + size}) at index {@code at}
     * (absolute: the buffer's position does not move), without a record.
     *
     * @param dst  a little-endian buffer with 8 bytes from {@code at}
     * @param at   where
     * @param size u32 bytes wanted
     */
    public static void write(final ByteBuffer dst, final int at, final int size) {
        dst.putInt(at, SIZE + size).putInt(at + 4, size);
    }

    /**
     * {@return the u32 {@code argsz} of a payload in place, raw bits}
     *
     * @param payload memory holding at least 8 bytes of payload from offset 0
     */
    public static int argszAt(final MemorySegment payload) {
        return payload.get(U32, 0);
    }

    /**
     * {@return the u32 {@code size} of a payload in place, raw bits}
     *
     * @param payload memory holding at least 8 bytes of payload from offset 0
     */
    public static int sizeAt(final MemorySegment payload) {
        return payload.get(U32, 4);
    }

    /**
     * {@return why a payload is not a valid MIG_DATA_READ request, or null}: exactly the two fields, {@code size}
     * within {@code max_data_xfer_size}, {@code argsz >= 8 + size} (all EINVAL)
     *
     * @param length the payload's length ({@code msg_size - 16}); the fields are not looked at unless it is 8
     * @param argsz  u32 argsz
     * @param size   u32 size
     * @param limits this receiver's limits
     */
    public static String problem(final long length, final int argsz, final int size, final CodecLimits limits) {
        if (length != SIZE) {
            return length < SIZE ? "payload too short (need " + SIZE + ", have " + length + ")"
                    : (length - SIZE) + " unexpected trailing bytes";
        }
        final long n = Integer.toUnsignedLong(size);
        if (n > limits.maxDataXferSize()) {
            return "size " + n + " exceeds max_data_xfer_size " + limits.maxDataXferSize();
        }
        return Integer.toUnsignedLong(argsz) < SIZE + n ? "argsz " + Integer.toUnsignedLong(argsz) + " < "
                + (SIZE + n) : null;
    }

    static MigDataRead decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final MigDataRead r = new MigDataRead(in.u32("argsz"), in.u32("size"));
        in.end();
        final String problem = problem(SIZE, r.argsz, r.size, limits);
        if (problem != null) {
            throw CodecException.invalid("MIG_DATA_READ: " + problem);
        }
        return r;
    }
}
