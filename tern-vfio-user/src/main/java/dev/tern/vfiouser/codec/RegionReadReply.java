package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * REGION_READ (command 9) reply (specification "VFIO_USER_REGION_READ").
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
 *  | 12: count   u32 = bytes of data that follow                   |
 *  +---------------------------------------------------------------+
 *  | 16: data                                                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * {@code count} is always the data length, so it is not a separate component.
 *
 * @param offset u64 offset in the region
 * @param region u32 region index
 * @param data   the bytes read
 */
public record RegionReadReply(long offset, int region, Blob data) implements Reply {
    /** Checks for null. */
    public RegionReadReply {
        Objects.requireNonNull(data, "data");
    }

    @Override
    public Command command() {
        return Command.REGION_READ;
    }

    @Override
    public int payloadSize() {
        return RegionRead.SIZE + data.length();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(offset).putInt(region).putInt(data.length());
        data.writeTo(dst);
    }

    static RegionReadReply decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final RegionAccess a = in.regionAccess();
        in.check(a.withDataProblem(limits));
        in.position(RegionAccess.SIZE);
        return new RegionReadReply(a.offset(), a.region(), in.rest());
    }
}
