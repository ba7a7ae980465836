package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DEVICE_GET_REGION_IO_FDS (command 6) request (specification "VFIO_USER_DEVICE_GET_REGION_IO_FDS").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32, room for the reply (&gt;= 16)                    |
 *  +---------------------------------------------------------------+
 *  |  4: flags  u32 (0)                                            |
 *  +---------------------------------------------------------------+
 *  |  8: index  u32, region index                                  |
 *  +---------------------------------------------------------------+
 *  | 12: count  u32 (0)                                            |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param argsz u32 room for the reply
 * @param flags u32 flags (0)
 * @param index u32 region index
 * @param count u32 (0)
 */
public record GetRegionIoFds(int argsz, int flags, int index, int count) implements Request {
    /** Payload size. */
    public static final int SIZE = 16;

    @Override
    public Command command() {
        return Command.DEVICE_GET_REGION_IO_FDS;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putInt(index).putInt(count);
    }

    static GetRegionIoFds decode(final WireReader in) throws CodecException {
        final GetRegionIoFds r = new GetRegionIoFds(in.u32("argsz"), in.u32("flags"), in.u32("index"),
                in.u32("count"));
        in.end();
        in.argszAtLeast(r.argsz, SIZE);
        return r;
    }
}
