package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * REGION_WRITE (command 10) request (specification "VFIO_USER_REGION_WRITE").
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
 * libvfio-user rejects a write whose count differs from the bytes present ({@code is_valid_region_access}); so
 * do we, and {@code count} is therefore the data length rather than a component.
 *
 * @param offset u64 offset in the region
 * @param region u32 region index
 * @param data   the bytes to write
 */
public record RegionWrite(long offset, int region, Blob data) implements Request {
    /** Checks for null. */
    public RegionWrite {
        Objects.requireNonNull(data, "data");
    }

    @Override
    public Command command() {
        return Command.REGION_WRITE;
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

    static RegionWrite decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final RegionAccess a = in.regionAccess();
        in.check(a.withDataProblem(limits));
        in.position(RegionAccess.SIZE);
        return new RegionWrite(a.offset(), a.region(), in.rest());
    }
}
