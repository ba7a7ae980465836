package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * DEVICE_GET_REGION_INFO (command 5) reply: {@code struct vfio_region_info} followed by its capability chain
 * (specification "VFIO_USER_DEVICE_GET_REGION_INFO").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz       u32, bytes needed for the full reply          |
 *  +---------------------------------------------------------------+
 *  |  4: flags       u32: READ 1, WRITE 2, MMAP 4, CAPS 8          |
 *  +---------------------------------------------------------------+
 *  |  8: index       u32                                           |
 *  +---------------------------------------------------------------+
 *  | 12: cap_offset  u32, first capability (0 = none included)     |
 *  +---------------------------------------------------------------+
 *  | 16: size        u64, region size                              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 24: offset      u64, mmap offset of the region in the fd      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 32: capability chain ({@link RegionCapability})              ...
 *  +---------------------------------------------------------------+
 *   + fds: with MMAP, the fd(s) to mmap (libvfio-user sends one per
 *     sparse area, all the same file)
 * </pre>
 *
 * When the request's argsz is too small for the capabilities, the reply is the 32-byte structure alone with
 * {@code argsz} set to the size needed (specification "Message sizes"); {@link #capabilities()} is then empty
 * although CAPS is set. We write the chain at offset 32 whenever there is one.
 *
 * @param argsz        u32 size of the full reply
 * @param flags        u32 {@code VFIO_REGION_INFO_FLAG_*}
 * @param index        u32 region index
 * @param size         u64 region size
 * @param offset       u64 mmap offset
 * @param capabilities the capability chain in order
 * @param fdCount      fds sent with the reply
 */
public record RegionInfoReply(int argsz, int flags, int index, long size, long offset,
        List<RegionCapability> capabilities, int fdCount) implements Reply {
    /** Size of {@code struct vfio_region_info}. */
    public static final int SIZE = 32;
    /** {@code VFIO_REGION_INFO_FLAG_READ}. */
    public static final int FLAG_READ = 1;
    /** {@code VFIO_REGION_INFO_FLAG_WRITE}. */
    public static final int FLAG_WRITE = 1 << 1;
    /** {@code VFIO_REGION_INFO_FLAG_MMAP}: an fd comes with the reply. */
    public static final int FLAG_MMAP = 1 << 2;
    /** {@code VFIO_REGION_INFO_FLAG_CAPS}: the region has capabilities. */
    public static final int FLAG_CAPS = 1 << 3;

    /** Copies the list and checks the fd count. */
    public RegionInfoReply {
        capabilities = List.copyOf(capabilities);
        if (fdCount < 0) {
            throw new IllegalArgumentException("fdCount < 0");
        }
    }

    /** {@return where the chain starts: 32, or 0 without capabilities} */
    public int capOffset() {
        return capabilities.isEmpty() ? 0 : SIZE;
    }

    @Override
    public Command command() {
        return Command.DEVICE_GET_REGION_INFO;
    }

    @Override
    public int payloadSize() {
        int n = SIZE;
        for (final RegionCapability c : capabilities) {
            n += c.size();
        }
        return n;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putInt(index).putInt(capOffset()).putLong(size).putLong(offset);
        RegionCapability.writeChain(capabilities, SIZE, dst);
    }

    static RegionInfoReply decode(final WireReader in, final int fds) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        final int index = in.u32("index");
        final int capOffset = in.u32("cap_offset");
        final long size = in.u64("size");
        final long offset = in.u64("offset");
        final List<RegionCapability> caps = RegionCapability.readChain(in, capOffset);
        return new RegionInfoReply(argsz, flags, index, size, offset, caps, fds);
    }
}
