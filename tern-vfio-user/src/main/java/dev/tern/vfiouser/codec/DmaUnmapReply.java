package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * DMA_UNMAP (command 3) reply: the 24-byte request echoed (specification "VFIO_USER_DMA_UNMAP": "The server
 * responds with the original DMA entry in the request"), followed with GET_DIRTY_BITMAP by the bitmap
 * (libvfio-user, migration v1 remnant).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz u32 | 4: flags u32 | 8: addr u64 | 16: size u64     |
 *  +---------------------------------------------------------------+
 *  only with GET_DIRTY_BITMAP:
 *  +---------------------------------------------------------------+
 *  | 24: pgsize  u64                                               |
 *  +---------------------------------------------------------------+
 *  | 32: size    u64 = number of bitmap bytes that follow          |
 *  +---------------------------------------------------------------+
 *  | 40: bitmap, bit i = page i of the range                      ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param argsz  u32 argsz as echoed
 * @param flags  u32 flags as echoed
 * @param addr   u64 address as echoed
 * @param size   u64 size as echoed
 * @param bitmap the dirty bitmap, present exactly when GET_DIRTY_BITMAP is set
 */
public record DmaUnmapReply(int argsz, int flags, long addr, long size, Optional<DirtyBitmap> bitmap)
        implements Reply {

    /**
     * The bitmap of a GET_DIRTY_BITMAP reply.
     *
     * @param pgsize u64 page size one bit stands for
     * @param data   the bitmap bytes (their count is the wire {@code size})
     */
    public record DirtyBitmap(long pgsize, Blob data) {
        /** Checks for null. */
        public DirtyBitmap {
            Objects.requireNonNull(data, "data");
        }
    }

    /** Checks that the bitmap presence matches the flag. */
    public DmaUnmapReply {
        Objects.requireNonNull(bitmap, "bitmap");
        if (bitmap.isPresent() != ((flags & DmaUnmap.FLAG_GET_DIRTY_BITMAP) != 0)) {
            throw new IllegalArgumentException("bitmap present iff GET_DIRTY_BITMAP is set");
        }
    }

    /**
     * {@return its echo, without a bitmap (the request must not ask for one)}
     *
     * @param request the request being answered
     */
    public static DmaUnmapReply echo(final DmaUnmap request) {
        return new DmaUnmapReply(request.argsz(), request.flags(), request.addr(), request.size(),
                Optional.empty());
    }

    @Override
    public Command command() {
        return Command.DMA_UNMAP;
    }

    @Override
    public int payloadSize() {
        return DmaUnmap.SIZE + bitmap.map(b -> 16 + b.data().length()).orElse(0);
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putLong(addr).putLong(size);
        bitmap.ifPresent(b -> {
            dst.putLong(b.pgsize()).putLong(b.data().length());
            b.data().writeTo(dst);
        });
    }

    static DmaUnmapReply decode(final WireReader in) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        final long addr = in.u64("addr");
        final long size = in.u64("size");
        Optional<DirtyBitmap> bitmap = Optional.empty();
        if ((flags & DmaUnmap.FLAG_GET_DIRTY_BITMAP) != 0) {
            final long pgsize = in.u64("bitmap.pgsize");
            final long bytes = in.u64("bitmap.size");
            bitmap = Optional.of(new DirtyBitmap(pgsize, in.blob(bytes, "bitmap")));
        }
        in.end();
        return new DmaUnmapReply(argsz, flags, addr, size, bitmap);
    }
}
