package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * DMA_UNMAP (command 3) request (specification "VFIO_USER_DMA_UNMAP"; {@code struct vfio_user_dma_unmap}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz   u32, room for the reply                           |
 *  +---------------------------------------------------------------+
 *  |  4: flags   u32: GET_DIRTY_BITMAP 1, ALL 2 (one at most)      |
 *  +---------------------------------------------------------------+
 *  |  8: addr    u64 (0 with ALL)                                  |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 16: size    u64 (0 with ALL)                                  |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  only with GET_DIRTY_BITMAP (migration v1 remnant, libvfio-user):
 *  +---------------------------------------------------------------+
 *  | 24: pgsize  u64, bitmap granularity                           |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | 32: size    u64, bitmap bytes wanted in the reply             |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * libvfio-user requires {@code 24 <= argsz <= 1 MiB} (plus 16 + bitmap size with GET_DIRTY_BITMAP) and rejects
 * other flag values, and ALL with a non-zero address or size; so do we.
 *
 * @param argsz  u32 argsz
 * @param flags  u32 flags
 * @param addr   u64 DMA address
 * @param size   u64 size
 * @param bitmap the requested dirty bitmap, present exactly when GET_DIRTY_BITMAP is set
 */
public record DmaUnmap(int argsz, int flags, long addr, long size, Optional<BitmapRequest> bitmap)
        implements Request {
    /** Size of the fixed part. */
    public static final int SIZE = 24;
    /** Return the dirty bitmap of the range (migration v1 remnant). */
    public static final int FLAG_GET_DIRTY_BITMAP = 1;
    /** Unmap everything; addr and size must be 0. */
    public static final int FLAG_ALL = 1 << 1;

    /**
     * The {@code struct vfio_user_bitmap} header of a GET_DIRTY_BITMAP request.
     *
     * @param pgsize u64 page size one bit stands for
     * @param size   u64 bitmap size in bytes
     */
    public record BitmapRequest(long pgsize, long size) {
    }

    /** Checks that the bitmap presence matches the flag. */
    public DmaUnmap {
        Objects.requireNonNull(bitmap, "bitmap");
        if (bitmap.isPresent() != ((flags & FLAG_GET_DIRTY_BITMAP) != 0)) {
            throw new IllegalArgumentException("bitmap present iff GET_DIRTY_BITMAP is set");
        }
    }

    /**
     * {@return a plain unmap request with argsz 24}
     *
     * @param addr DMA address
     * @param size size
     */
    public static DmaUnmap of(final long addr, final long size) {
        return new DmaUnmap(SIZE, 0, addr, size, Optional.empty());
    }

    @Override
    public Command command() {
        return Command.DMA_UNMAP;
    }

    @Override
    public int payloadSize() {
        return SIZE + (bitmap.isPresent() ? 16 : 0);
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putLong(addr).putLong(size);
        bitmap.ifPresent(b -> dst.putLong(b.pgsize()).putLong(b.size()));
    }

    static DmaUnmap decode(final WireReader in) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        final long addr = in.u64("addr");
        final long size = in.u64("size");
        in.argszWithin(argsz, SIZE, WireReader.MAX_ARGSZ);
        Optional<BitmapRequest> bitmap = Optional.empty();
        switch (flags) {
            case 0 -> {
            }
            case FLAG_GET_DIRTY_BITMAP -> {
                final BitmapRequest b = new BitmapRequest(in.u64("bitmap.pgsize"), in.u64("bitmap.size"));
                final long room = Integer.toUnsignedLong(argsz) - SIZE - 16;
                if (room < 0 || b.size() < 0 || b.size() > room) {
                    throw CodecException.invalid("DMA_UNMAP: argsz " + Integer.toUnsignedLong(argsz)
                            + " has no room for a " + Long.toUnsignedString(b.size()) + "-byte bitmap");
                }
                bitmap = Optional.of(b);
            }
            case FLAG_ALL -> {
                if (addr != 0 || size != 0) {
                    throw CodecException.invalid("DMA_UNMAP: ALL needs addr and size 0");
                }
            }
            default -> throw CodecException.invalid("DMA_UNMAP: bad flags 0x" + Integer.toHexString(flags));
        }
        in.end();
        return new DmaUnmap(argsz, flags, addr, size, bitmap);
    }
}
