package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DMA_MAP (command 2) request (specification "VFIO_USER_DMA_MAP"; {@code struct vfio_user_dma_map}). The reply
 * has no payload ({@link Ack}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz   u32 (= 32)                                        |
 *  +---------------------------------------------------------------+
 *  |  4: flags   u32: READ 1, WRITE 2 (libvfio-user: MMAP 4,       |
 *  |             FILE_IO 8)                                        |
 *  +---------------------------------------------------------------+
 *  |  8: offset  u64, file offset within the fd (0 without fd)     |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 16: addr    u64, DMA (guest IO virtual) address               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 24: size    u64                                               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *   + 0 or 1 fd (SCM_RIGHTS) to mmap; without one the server
 *     reaches this memory with DMA_READ / DMA_WRITE messages
 * </pre>
 *
 * @param argsz  u32 argsz (the structure size, 32)
 * @param flags  u32 protection / mode flags
 * @param offset u64 offset within the fd
 * @param addr   u64 DMA address
 * @param size   u64 size
 * @param hasFd  whether an fd accompanies the message
 */
public record DmaMap(int argsz, int flags, long offset, long addr, long size, boolean hasFd) implements Request {
    /** Payload size. */
    public static final int SIZE = 32;
    /** Readable by the device. */
    public static final int FLAG_READ = 1;
    /** Writeable by the device. */
    public static final int FLAG_WRITE = 1 << 1;
    /** libvfio-user extension: access through mmap of the fd. */
    public static final int FLAG_MMAP = 1 << 2;
    /** libvfio-user extension: access through pread/pwrite on the fd. */
    public static final int FLAG_FILE_IO = 1 << 3;
    private static final int KNOWN_FLAGS = FLAG_READ | FLAG_WRITE | FLAG_MMAP | FLAG_FILE_IO;

    /**
     * {@return a request with argsz 32}
     *
     * @param flags  protection flags
     * @param offset offset within the fd
     * @param addr   DMA address
     * @param size   size
     * @param hasFd  whether an fd accompanies the message
     */
    public static DmaMap of(final int flags, final long offset, final long addr, final long size,
            final boolean hasFd) {
        return new DmaMap(SIZE, flags, offset, addr, size, hasFd);
    }

    @Override
    public Command command() {
        return Command.DMA_MAP;
    }

    @Override
    public int fdCount() {
        return hasFd ? 1 : 0;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putLong(offset).putLong(addr).putLong(size);
    }

    static DmaMap decode(final WireReader in, final int fds) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        final DmaMap m = new DmaMap(argsz, flags, in.u64("offset"), in.u64("addr"), in.u64("size"), fds == 1);
        in.end();
        in.argszAtLeast(argsz, SIZE);
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw CodecException.invalid("DMA_MAP: unknown flags 0x" + Integer.toHexString(flags));
        }
        if (fds > 1) {
            throw CodecException.invalid("DMA_MAP: at most one fd, got " + fds);
        }
        return m;
    }
}
