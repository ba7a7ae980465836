package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * DMA_WRITE (command 12, server to client) request (specification "VFIO_USER_DMA_WRITE").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: addr   u64                                                |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  8: count  u64 = bytes of data that follow                    |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 16: data                                                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param addr u64 DMA address
 * @param data the bytes to write
 */
public record DmaWrite(long addr, Blob data) implements Request {
    /** Checks for null. */
    public DmaWrite {
        Objects.requireNonNull(data, "data");
    }

    @Override
    public Command command() {
        return Command.DMA_WRITE;
    }

    @Override
    public int payloadSize() {
        return DmaRead.SIZE + data.length();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(addr).putLong(data.length());
        data.writeTo(dst);
    }

    static DmaWrite decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final long addr = in.u64("addr");
        final long count = in.u64("count");
        in.countWithin(count, limits, "count");
        final Blob data = in.blob(count, "data");
        in.end();
        return new DmaWrite(addr, data);
    }
}
