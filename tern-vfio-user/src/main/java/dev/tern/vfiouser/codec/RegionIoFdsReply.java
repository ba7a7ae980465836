package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * DEVICE_GET_REGION_IO_FDS (command 6) reply (specification "VFIO_USER_DEVICE_GET_REGION_IO_FDS").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32, bytes needed for the full reply               |
 *  +---------------------------------------------------------------+
 *  |  4: flags  u32 (0)                                            |
 *  +---------------------------------------------------------------+
 *  |  8: index  u32, region index                                  |
 *  +---------------------------------------------------------------+
 *  | 12: count  u32, number of sub-regions                         |
 *  +---------------------------------------------------------------+
 *  | 16: count x sub-region ({@link IoFdSubRegion}, 40 or 48 B)   ...
 *  +---------------------------------------------------------------+
 *   + fds referenced by the sub-regions' fd_index
 * </pre>
 *
 * The sub-regions are absent when the request's argsz was too small (argsz then says how much is needed). When
 * present, their size is (payload - 16) / count, as the specification says ("this is not to be relied on"); only 40
 * and 48 are accepted.
 *
 * @param argsz      u32 bytes needed for the full reply
 * @param flags      u32 (0)
 * @param index      u32 region index
 * @param count      u32 number of sub-regions of the region
 * @param subRegions the sub-regions included (empty or {@code count} of them)
 * @param layout     the sub-region layout used on the wire (normalised to LIBVFIO_USER without sub-regions)
 * @param fdCount    fds sent with the reply
 */
public record RegionIoFdsReply(int argsz, int flags, int index, int count, List<IoFdSubRegion> subRegions,
        IoFdSubRegion.Layout layout, int fdCount) implements Reply {
    /** Size of the fixed part. */
    public static final int SIZE = 16;

    /** Copies the list and checks consistency. */
    public RegionIoFdsReply {
        subRegions = List.copyOf(subRegions);
        Objects.requireNonNull(layout, "layout");
        if (subRegions.isEmpty()) {
            layout = IoFdSubRegion.Layout.LIBVFIO_USER;
        }
        if (!subRegions.isEmpty() && subRegions.size() != count) {
            throw new IllegalArgumentException("either no sub-regions or exactly count of them");
        }
        if (fdCount < 0) {
            throw new IllegalArgumentException("fdCount < 0");
        }
    }

    @Override
    public Command command() {
        return Command.DEVICE_GET_REGION_IO_FDS;
    }

    @Override
    public int payloadSize() {
        return SIZE + subRegions.size() * layout.size();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putInt(index).putInt(count);
        for (final IoFdSubRegion s : subRegions) {
            s.write(dst, layout);
        }
    }

    static RegionIoFdsReply decode(final WireReader in, final int fds) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        final int index = in.u32("index");
        final int count = in.u32("count");
        final int rest = in.remaining();
        final List<IoFdSubRegion> subs = new ArrayList<>();
        IoFdSubRegion.Layout layout = IoFdSubRegion.Layout.LIBVFIO_USER;
        if (rest != 0) {
            final long n = Integer.toUnsignedLong(count);
            if (n == 0 || rest % n != 0) {
                throw CodecException.invalid("REGION_IO_FDS: " + rest + " bytes do not hold " + n
                        + " sub-regions");
            }
            final long stride = rest / n;
            layout = stride == 40 ? IoFdSubRegion.Layout.SPEC : stride == 48 ? IoFdSubRegion.Layout.LIBVFIO_USER
                    : null;
            if (layout == null) {
                throw CodecException.invalid("REGION_IO_FDS: sub-region size " + stride + " is neither 40 nor 48");
            }
            for (long i = 0; i < n; i++) {
                final IoFdSubRegion s = IoFdSubRegion.read(in, layout);
                checkFd(s.fdIndex(), fds);
                if (s.type() == IoFdSubRegion.TYPE_IOEVENTFD_SHADOW) {
                    checkFd(s.shadowMemFdIndex(), fds);
                }
                subs.add(s);
            }
        }
        in.end();
        return new RegionIoFdsReply(argsz, flags, index, count, subs, layout, fds);
    }

    private static void checkFd(final int fdIndex, final int fds) throws CodecException {
        if (Integer.toUnsignedLong(fdIndex) >= fds) {
            throw CodecException.invalid("REGION_IO_FDS: fd_index " + Integer.toUnsignedLong(fdIndex)
                    + " but only " + fds + " fds came with the reply");
        }
    }
}
