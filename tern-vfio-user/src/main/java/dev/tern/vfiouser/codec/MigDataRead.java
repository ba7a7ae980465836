package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

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
 * {@code size} exceeds the transfer limit or {@code argsz < 8 + size}; so do we.
 *
 * @param argsz u32 room for the reply
 * @param size  u32 bytes wanted
 */
public record MigDataRead(int argsz, int size) implements Request {
    /** Payload size (also the size of the reply's fixed part). */
    public static final int SIZE = 8;

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

    static MigDataRead decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final MigDataRead r = new MigDataRead(in.u32("argsz"), in.u32("size"));
        in.end();
        final long size = Integer.toUnsignedLong(r.size);
        in.countWithin(size, limits, "size");
        in.argszAtLeast(r.argsz, SIZE + size);
        return r;
    }
}
