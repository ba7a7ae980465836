package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * REGION_READ (command 9) request (specification "VFIO_USER_REGION_READ"; {@code struct vfio_user_region_access}
 * without data).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: offset  u64, offset in the region                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  8: region  u32, region index                                 |
 *  +---------------------------------------------------------------+
 *  | 12: count   u32, bytes to read (&lt;= max_data_xfer_size)        |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param offset u64 offset in the region
 * @param region u32 region index
 * @param count  u32 bytes to read
 */
public record RegionRead(long offset, int region, int count) implements Request {
    /** Payload size. */
    public static final int SIZE = RegionAccess.SIZE;

    @Override
    public Command command() {
        return Command.REGION_READ;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(offset).putInt(region).putInt(count);
    }

    static RegionRead decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final RegionAccess a = in.regionAccess();
        in.check(a.readRequestProblem(limits));
        return new RegionRead(a.offset(), a.region(), a.count());
    }
}
