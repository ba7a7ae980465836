package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * REGION_WRITE (command 10) reply (specification "VFIO_USER_REGION_WRITE"): the request's 16-byte header
 * without data.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: offset  u64                                               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  8: region  u32                                               |
 *  +---------------------------------------------------------------+
 *  | 12: count   u32, bytes written                                |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param offset u64 offset in the region
 * @param region u32 region index
 * @param count  u32 bytes written
 */
public record RegionWriteReply(long offset, int region, int count) implements Reply {
    @Override
    public Command command() {
        return Command.REGION_WRITE;
    }

    @Override
    public int payloadSize() {
        return RegionRead.SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(offset).putInt(region).putInt(count);
    }

    static RegionWriteReply decode(final WireReader in) throws CodecException {
        final RegionAccess a = in.regionAccess();
        in.check(a.fixedProblem());
        return new RegionWriteReply(a.offset(), a.region(), a.count());
    }
}
