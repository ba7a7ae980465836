package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * REGION_WRITE_MULTI (command 15) reply (specification "VFIO_USER_REGION_WRITE_MULTI").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: wr_cnt  u64, number of writes completed                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param writesCompleted u64 number of writes completed
 */
public record RegionWriteMultiReply(long writesCompleted) implements Reply {
    /** Payload size. */
    public static final int SIZE = 8;

    @Override
    public Command command() {
        return Command.REGION_WRITE_MULTI;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(writesCompleted);
    }

    static RegionWriteMultiReply decode(final WireReader in) throws CodecException {
        final RegionWriteMultiReply r = new RegionWriteMultiReply(in.u64("wr_cnt"));
        in.end();
        return r;
    }
}
