package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DMA_READ (command 11, server to client) request (specification "VFIO_USER_DMA_READ";
 * {@code struct vfio_user_dma_region_access}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: addr   u64, DMA address inside a mapped region            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  8: count  u64, bytes to read (&lt;= max_data_xfer_size)         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param addr  u64 DMA address
 * @param count u64 bytes to read
 */
public record DmaRead(long addr, long count) implements Request {
    /** Payload size. */
    public static final int SIZE = 16;

    @Override
    public Command command() {
        return Command.DMA_READ;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(addr).putLong(count);
    }

    static DmaRead decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final DmaRead r = new DmaRead(in.u64("addr"), in.u64("count"));
        in.end();
        in.countWithin(r.count, limits, "count");
        return r;
    }
}
