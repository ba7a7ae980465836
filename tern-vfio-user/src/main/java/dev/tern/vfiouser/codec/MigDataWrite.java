package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * MIG_DATA_WRITE (command 18) request: append a chunk to the destination's migration stream in RESUMING
 * (specification "VFIO_USER_MIG_DATA_WRITE"). The reply has no payload ({@link Ack}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32 (&gt;= 8 + size, as libvfio-user requires)        |
 *  +---------------------------------------------------------------+
 *  |  4: size   u32 = bytes of data that follow                    |
 *  |            (&lt;= max_data_xfer_size)                            |
 *  +---------------------------------------------------------------+
 *  |  8: data                                                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param argsz u32 argsz
 * @param data  the migration data
 */
public record MigDataWrite(int argsz, Blob data) implements Request {
    /** Checks for null. */
    public MigDataWrite {
        Objects.requireNonNull(data, "data");
    }

    /**
     * {@return a request with argsz = 8 + length}
     *
     * @param data the chunk
     */
    public static MigDataWrite of(final Blob data) {
        return new MigDataWrite(MigDataRead.SIZE + data.length(), data);
    }

    @Override
    public Command command() {
        return Command.MIG_DATA_WRITE;
    }

    @Override
    public int payloadSize() {
        return MigDataRead.SIZE + data.length();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(data.length());
        data.writeTo(dst);
    }

    /**
     * Checks a MIG_DATA_WRITE payload in place (the server's lent buffer) by the rules of its decoder: the data is
     * exactly what follows the fixed part, and {@code argsz >= 8 + size}.
     *
     * @param payload the command's payload, little-endian, position to limit (not consumed)
     * @return its {@code size}, or -1 if the payload is malformed
     */
    public static int dataSize(final ByteBuffer payload) {
        if (payload.remaining() < MigDataRead.SIZE) {
            return -1;
        }
        final long argsz = Integer.toUnsignedLong(payload.getInt(payload.position()));
        final long size = Integer.toUnsignedLong(payload.getInt(payload.position() + 4));
        return size != payload.remaining() - MigDataRead.SIZE || argsz < MigDataRead.SIZE + size ? -1 : (int) size;
    }

    static MigDataWrite decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final int argsz = in.u32("argsz");
        final long size = Integer.toUnsignedLong(in.u32("size"));
        in.countWithin(size, limits, "size");
        final Blob data = in.blob(size, "data");
        in.end();
        in.argszAtLeast(argsz, MigDataRead.SIZE + size);
        return new MigDataWrite(argsz, data);
    }
}
