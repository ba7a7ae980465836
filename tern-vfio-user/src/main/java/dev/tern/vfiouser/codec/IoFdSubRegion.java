package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * One sub-region of a DEVICE_GET_REGION_IO_FDS reply. Two layouts exist on the wire:
 *
 * <pre>
 *  specification, 40 bytes                 libvfio-user, 48 bytes (every type)
 *  +-------------------------------+        +-------------------------------+
 *  |  0: offset         u64        |        |  0: offset              u64   |
 *  |  8: size           u64        |        |  8: size                u64   |
 *  | 16: fd_index       u32        |        | 16: fd_index            u32   |
 *  | 20: type           u32        |        | 20: type                u32   |
 *  | 24: flags          u32        |        | 24: flags               u32   |
 *  | 28: padding        u32        |        | 28: shadow_mem_fd_index u32   |
 *  | 32: datamatch or user_data u64|        | 32: shadow_offset       u64   |
 *  +-------------------------------+        | 40: datamatch           u64   |
 *                                           +-------------------------------+
 * </pre>
 *
 * The specification's 40-byte layout predates shadow ioeventfds; libvfio-user sends its 48-byte union for every
 * type. {@link Layout} says which one a reply uses.
 *
 * @param offset           u64 offset of the sub-region within the region
 * @param size             u64 length (0: any access size)
 * @param fdIndex          u32 index into the reply's fds
 * @param type             u32: {@link #TYPE_IOEVENTFD}, {@link #TYPE_IOREGIONFD}, {@link #TYPE_IOEVENTFD_SHADOW}
 * @param flags            u32 KVM ioeventfd / ioregionfd flags
 * @param shadowMemFdIndex u32 fd index of the shadow memory (48-byte layout only, else 0)
 * @param shadowOffset     u64 offset in the shadow memory (48-byte layout only, else 0)
 * @param data             u64 datamatch (ioeventfd) or user_data (ioregionfd)
 */
public record IoFdSubRegion(long offset, long size, int fdIndex, int type, int flags, int shadowMemFdIndex,
        long shadowOffset, long data) {
    /** {@code VFIO_USER_IO_FD_TYPE_IOEVENTFD}. */
    public static final int TYPE_IOEVENTFD = 0;
    /** {@code VFIO_USER_IO_FD_TYPE_IOREGIONFD}. */
    public static final int TYPE_IOREGIONFD = 1;
    /** {@code VFIO_USER_IO_FD_TYPE_IOEVENTFD_SHADOW} (libvfio-user). */
    public static final int TYPE_IOEVENTFD_SHADOW = 2;

    /** Which sub-region layout a reply uses. */
    public enum Layout {
        /** The specification's 40-byte structures. */
        SPEC(40),
        /** libvfio-user's 48-byte union. */
        LIBVFIO_USER(48);

        private final int size;

        Layout(final int size) {
            this.size = size;
        }

        /** {@return bytes per sub-region} */
        public int size() {
            return size;
        }
    }

    void write(final ByteBuffer dst, final Layout layout) {
        dst.putLong(offset).putLong(size).putInt(fdIndex).putInt(type).putInt(flags);
        if (layout == Layout.SPEC) {
            dst.putInt(0).putLong(data);
        } else {
            dst.putInt(shadowMemFdIndex).putLong(shadowOffset).putLong(data);
        }
    }

    static IoFdSubRegion read(final WireReader in, final Layout layout) throws CodecException {
        final long offset = in.u64("sub.offset");
        final long size = in.u64("sub.size");
        final int fdIndex = in.u32("sub.fd_index");
        final int type = in.u32("sub.type");
        final int flags = in.u32("sub.flags");
        if (layout == Layout.SPEC) {
            in.u32("sub.padding");
            return new IoFdSubRegion(offset, size, fdIndex, type, flags, 0, 0, in.u64("sub.data"));
        }
        return new IoFdSubRegion(offset, size, fdIndex, type, flags, in.u32("sub.shadow_mem_fd_index"),
                in.u64("sub.shadow_offset"), in.u64("sub.datamatch"));
    }
}
