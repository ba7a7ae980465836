package dev.tern.vfiouser.client;

import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The client's memory the server may reach (the guest RAM of a VMM): every range the client DMA_MAPped, with or
 * without an fd. The client answers the server's DMA_READ / DMA_WRITE from here (specification "VFIO_USER_DMA_READ"
 * / "VFIO_USER_DMA_WRITE"): an access outside the mapped ranges, or a write to a read-only range, is refused with
 * EFAULT. An access may span adjacent mappings.
 * <p>
 * Thread-safe: the reader thread serves accesses while other threads map and unmap.
 */
final class GuestMemory {
    /** One mapped range. */
    private record Range(long iova, MemorySegment memory, boolean writable) {
        long end() {
            return iova + memory.byteSize();
        }
    }

    private volatile List<Range> ranges = List.of();

    synchronized void add(final long iova, final MemorySegment memory, final boolean writable) {
        final List<Range> next = new ArrayList<>(ranges);
        next.add(new Range(iova, memory, writable));
        next.sort(Comparator.comparingLong(Range::iova));
        ranges = List.copyOf(next);
    }

    synchronized void remove(final long iova, final long size) {
        final List<Range> next = new ArrayList<>(ranges);
        next.removeIf(r -> r.iova() >= iova && r.end() <= iova + size);
        ranges = List.copyOf(next);
    }

    synchronized void clear() {
        ranges = List.of();
    }

    /**
     * Copies {@code [iova, iova + dst.byteSize())} into {@code dst}.
     *
     * @return 0, or EFAULT
     */
    int read(final long iova, final MemorySegment dst) {
        return access(iova, dst, false);
    }

    /**
     * Copies {@code src} to {@code iova}.
     *
     * @return 0, or EFAULT
     */
    int write(final long iova, final MemorySegment src) {
        return access(iova, src, true);
    }

    private int access(final long iova, final MemorySegment buf, final boolean write) {
        final long len = buf.byteSize();
        if (iova < 0 || iova > Long.MAX_VALUE - len) {
            return Errno.EFAULT;
        }
        long done = 0;
        for (final Range r : ranges) {
            final long at = iova + done;
            if (done == len) {
                break;
            }
            if (r.end() <= at) {
                continue;
            }
            if (r.iova() > at || (write && !r.writable())) {
                return Errno.EFAULT;
            }
            final long n = Math.min(len - done, r.end() - at);
            try {
                if (write) {
                    MemorySegment.copy(buf, done, r.memory(), at - r.iova(), n);
                } else {
                    MemorySegment.copy(r.memory(), at - r.iova(), buf, done, n);
                }
            } catch (final IllegalStateException | IndexOutOfBoundsException e) {
                return Errno.EFAULT;
            }
            done += n;
        }
        return done == len ? 0 : Errno.EFAULT;
    }
}
