package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DEVICE_GET_REGION_INFO (command 5) request: a {@code struct vfio_region_info} of which only {@code argsz} and
 * {@code index} matter (specification "VFIO_USER_DEVICE_GET_REGION_INFO": "all other fields must be zero").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz       u32, room for the reply (&gt;= 32)               |
 *  +---------------------------------------------------------------+
 *  |  4: flags       u32 (0)                                       |
 *  +---------------------------------------------------------------+
 *  |  8: index       u32, region index                             |
 *  +---------------------------------------------------------------+
 *  | 12: cap_offset  u32 (0)                                       |
 *  +---------------------------------------------------------------+
 *  | 16: size        u64 (0)                                       |
 *  +---------------------------------------------------------------+
 *  | 24: offset      u64 (0)                                       |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The zero fields are written as zero and ignored when read (libvfio-user ignores them too).
 *
 * @param argsz u32 room for the reply; at least 32 (libvfio-user {@code dev_get_reginfo}: EINVAL below)
 * @param index u32 region index
 */
public record GetRegionInfo(int argsz, int index) implements Request {
    /** Payload size. */
    public static final int SIZE = 32;

    @Override
    public Command command() {
        return Command.DEVICE_GET_REGION_INFO;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(0).putInt(index).putInt(0).putLong(0).putLong(0);
    }

    static GetRegionInfo decode(final WireReader in) throws CodecException {
        final int argsz = in.u32("argsz");
        in.u32("flags");
        final int index = in.u32("index");
        in.u32("cap_offset");
        in.u64("size");
        in.u64("offset");
        in.end();
        in.argszAtLeast(argsz, SIZE);
        return new GetRegionInfo(argsz, index);
    }
}
