package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.IovaMap;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;

/**
 * The client's memory the server may reach (the guest RAM of a VMM): every range the client DMA_MAPped, with or
 * without an fd. The client answers the server's DMA_READ / DMA_WRITE from here (specification "VFIO_USER_DMA_READ"
 * / "VFIO_USER_DMA_WRITE"): an access outside the mapped ranges, or a write to a read-only range, is refused with
 * EFAULT. An access may span adjacent mappings.
 * <p>
 * Thread-safe: the thread reading the socket serves accesses while other threads map and unmap.
 */
final class MappedRanges {
    /** One mapped range. */
    private record Range(MemorySegment memory, boolean writable) {
    }

    private final IovaMap<Range> ranges = new IovaMap<>();

    /** @throws DeviceException EEXIST if the range overlaps one already mapped (the server would refuse it too) */
    void add(final long iova, final MemorySegment memory, final boolean writable) throws DeviceException {
        if (iova < 0 || memory.byteSize() <= 0 || iova > Long.MAX_VALUE - memory.byteSize()) {
            throw new DeviceException(Errno.EINVAL, "bad DMA range 0x" + Long.toHexString(iova) + "+0x"
                    + Long.toHexString(memory.byteSize()));
        }
        final IovaMap.Entry<Range> clash = ranges.add(new DmaRange(iova, memory.byteSize()),
                new Range(memory, writable));
        if (clash != null) {
            throw new DeviceException(Errno.EEXIST, "DMA range at 0x" + Long.toHexString(iova) + " overlaps mapped "
                    + clash.range());
        }
    }

    void remove(final long iova, final long size) {
        if (size > 0 && iova >= 0 && iova <= Long.MAX_VALUE - size) {
            ranges.removeWithin(new DmaRange(iova, size), true);
        }
    }

    void clear() {
        ranges.clear();
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
        for (IovaMap.Entry<Range> e = ranges.containing(iova); done < len; e = ranges.adjacent(e)) {
            if (e == null || (write && !e.value().writable())) {
                return Errno.EFAULT;
            }
            final long at = iova + done;
            final long n = Math.min(len - done, e.range().end() - at);
            try {
                if (write) {
                    MemorySegment.copy(buf, done, e.value().memory(), at - e.range().iova(), n);
                } else {
                    MemorySegment.copy(e.value().memory(), at - e.range().iova(), buf, done, n);
                }
            } catch (final RuntimeException x) { // closed, confined to another thread, out of bounds
                return Errno.EFAULT;
            }
            done += n;
        }
        return 0;
    }
}
