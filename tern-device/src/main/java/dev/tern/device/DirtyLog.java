package dev.tern.device;

import dev.tern.sys.Errno;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Dirty logging of the device's DMA writes: {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START/STOP/REPORT} (uAPI
 * {@code vfio.h}, spec §2.11).
 *
 * <p>{@link DmaSpace} records every write it performs, so device authors write no tracking code. The log keeps one
 * bit per page of the chosen page size per tracked range, set with atomic ORs by device threads and read-and-cleared
 * by {@link #report} with atomic ANDs, so no write between two reports is lost.
 *
 * <p>Errors, following the kernel: START with no ranges → EINVAL; more than {@value #MAX_RANGES} → E2BIG; page
 * size not a power of two, or a range not aligned to it → EINVAL; a range past 2^63 → EOVERFLOW; overlapping ranges
 * → EINVAL; START while started → <b>EBUSY</b> (the uAPI only says the driver must reject it; Tern picks EBUSY
 * because the request is valid, just not now). REPORT before START, with a page size below 4096 or not a power of
 * two, an empty range, a range not covered by the tracked ranges, or a bitmap too small → EINVAL. STOP is
 * idempotent.
 */
public final class DirtyLog {

    /** The smallest page size a report may ask for (4 KiB). */
    public static final long MIN_PAGE_SIZE = 4096;
    /** Ranges the core guarantees ({@code PAGE_SIZE / sizeof(range)} on 4 KiB pages). */
    public static final int MAX_RANGES = 256;
    /** Upper bound on tracked pages (a 512 MiB bitmap). */
    private static final long MAX_PAGES = 1L << 32;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    /** One tracked range: bit {@code i} is page {@code firstPage + i} (page number = address >>> shift). */
    private record Tracked(long iova, long end, long firstPage, long[] bits) {
    }

    private record Tracking(int shift, Tracked[] ranges) {
    }

    private volatile Tracking tracking;

    /** @return true between START and STOP */
    public boolean active() {
        return tracking != null;
    }

    /**
     * Starts logging ({@code DMA_LOGGING_START}).
     *
     * @param pageSize the caller's hint; any power of two (below 4096 is raised to 4096)
     * @param ranges the IOVA ranges to track, each aligned to {@code pageSize}, not overlapping
     * @return the page size chosen (written back to the caller, as the uAPI does)
     * @throws DeviceException see the class comment
     */
    public synchronized long start(final long pageSize, final List<DmaRange> ranges) throws DeviceException {
        if (tracking != null) {
            throw new DeviceException(Errno.EBUSY, "DMA logging already started; STOP it first");
        }
        if (ranges.isEmpty()) {
            throw new DeviceException(Errno.EINVAL, "DMA logging START needs at least one range");
        }
        if (ranges.size() > MAX_RANGES) {
            throw new DeviceException(Errno.E2BIG, ranges.size() + " ranges; at most " + MAX_RANGES);
        }
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new DeviceException(Errno.EINVAL, "page size " + pageSize + " is not a power of two");
        }
        final List<DmaRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(DmaRange::iova));
        for (final DmaRange r : sorted) {
            if ((r.iova() & (pageSize - 1)) != 0 || (r.length() & (pageSize - 1)) != 0) {
                throw new DeviceException(Errno.EINVAL, "range " + r + " is not aligned to page size " + pageSize);
            }
        }
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i - 1).overlaps(sorted.get(i))) {
                throw new DeviceException(Errno.EINVAL, "ranges " + sorted.get(i - 1) + " and " + sorted.get(i)
                        + " overlap");
            }
        }
        final long chosen = Math.max(pageSize, MIN_PAGE_SIZE);
        final int shift = Long.numberOfTrailingZeros(chosen);
        final Tracked[] tracked = new Tracked[sorted.size()];
        long total = 0;
        for (int i = 0; i < tracked.length; i++) {
            final DmaRange r = sorted.get(i);
            final long first = r.iova() >>> shift;
            final long pages = ((r.end() - 1) >>> shift) - first + 1;
            total += pages;
            if (total > MAX_PAGES) {
                throw new DeviceException(Errno.ENOMEM, "tracking " + total + "+ pages of " + chosen
                        + " bytes exceeds the bitmap limit");
            }
            tracked[i] = new Tracked(r.iova(), r.end(), first, new long[(int) ((pages + 63) >>> 6)]);
        }
        tracking = new Tracking(shift, tracked);
        return chosen;
    }

    /** Stops logging ({@code DMA_LOGGING_STOP}) and drops the log; a no-op when not started. */
    public synchronized void stop() {
        tracking = null;
    }

    /**
     * Records a DMA write of {@code length} bytes at {@code iova}; called by {@link DmaSpace} for every write.
     */
    void record(final long iova, final long length) {
        final Tracking t = tracking;
        if (t == null || length <= 0) {
            return;
        }
        final long end = iova + length;
        for (final Tracked r : t.ranges) {
            if (r.end <= iova) {
                continue;
            }
            if (r.iova >= end) {
                break;
            }
            final long a = Math.max(iova, r.iova);
            final long b = Math.min(end, r.end);
            setBits(r.bits, (a >>> t.shift) - r.firstPage, ((b - 1) >>> t.shift) - r.firstPage);
        }
    }

    /**
     * Reports and clears the pages written in {@code [iova, iova + length)} ({@code DMA_LOGGING_REPORT}): bit
     * {@code i} of {@code bitmapOut} (bit {@code i % 64} of word {@code i / 64}) covers
     * {@code [iova + i * pageSize, iova + (i + 1) * pageSize)}. Bits are only set, never cleared, in the output.
     * Tracked pages only partly inside the range are reported but not cleared, so nothing is lost.
     *
     * @throws DeviceException see the class comment
     */
    public void report(final long iova, final long length, final long pageSize, final long[] bitmapOut)
            throws DeviceException {
        if (pageSize < MIN_PAGE_SIZE || Long.bitCount(pageSize) != 1) {
            throw new DeviceException(Errno.EINVAL, "report page size " + pageSize
                    + " must be a power of two of at least 4096");
        }
        final Tracking t = tracking;
        if (t == null) {
            throw new DeviceException(Errno.EINVAL, "DMA logging is not started");
        }
        final DmaRange want = DmaRange.checked(iova, length);
        final long bits = (length - 1) / pageSize + 1;
        if (bitmapOut.length * 64L < bits) {
            throw new DeviceException(Errno.EINVAL, "bitmap of " + bitmapOut.length + " words cannot hold " + bits
                    + " pages");
        }
        long covered = iova;
        for (final Tracked r : t.ranges) {
            if (r.end > covered && r.iova <= covered) {
                covered = r.end;
            }
        }
        if (covered < want.end()) {
            throw new DeviceException(Errno.EINVAL, "report range " + want + " is not inside the logged ranges");
        }
        final long tps = 1L << t.shift;
        final int rshift = Long.numberOfTrailingZeros(pageSize);
        for (final Tracked r : t.ranges) {
            if (r.end <= iova || r.iova >= want.end()) {
                continue;
            }
            final long a = Math.max(iova, r.iova);
            final long b = Math.min(want.end(), r.end);
            final long p0 = (a >>> t.shift) - r.firstPage;
            final long p1 = ((b - 1) >>> t.shift) - r.firstPage;
            final long full0 = ((r.firstPage + p0) << t.shift) >= iova ? p0 : p0 + 1;
            final long full1 = ((r.firstPage + p1) << t.shift) + tps <= want.end() ? p1 : p1 - 1;
            for (long w = p0 >>> 6; w <= p1 >>> 6; w++) {
                final long mask = wordMask(w, p0, p1);
                final long clear = full0 <= full1 ? wordMask(w, full0, full1) : 0;
                final long word = clear != 0 ? (long) WORDS.getAndBitwiseAnd(r.bits, (int) w, ~clear)
                        : (long) WORDS.getVolatile(r.bits, (int) w);
                long dirty = word & mask;
                while (dirty != 0) {
                    final long page = (w << 6) + Long.numberOfTrailingZeros(dirty);
                    dirty &= dirty - 1;
                    final long start = (r.firstPage + page) << t.shift;
                    final long lo = Math.max(start, iova) - iova;
                    final long hi = Math.min(start + tps, want.end()) - 1 - iova;
                    setPlain(bitmapOut, lo >>> rshift, hi >>> rshift);
                }
            }
        }
    }

    /** Bits of word {@code w} that lie in the bit range {@code [from, to]}. */
    private static long wordMask(final long w, final long from, final long to) {
        final long lo = w << 6;
        final long hi = lo + 63;
        if (to < lo || from > hi) {
            return 0;
        }
        final long m1 = from <= lo ? -1L : -1L << (from - lo);
        final long m2 = to >= hi ? -1L : -1L >>> (63 - (to - lo));
        return m1 & m2;
    }

    private static void setBits(final long[] bits, final long from, final long to) {
        for (long w = from >>> 6; w <= to >>> 6; w++) {
            final long mask = wordMask(w, from, to);
            if (((long) WORDS.getOpaque(bits, (int) w) & mask) != mask) {
                WORDS.getAndBitwiseOr(bits, (int) w, mask);
            }
        }
    }

    private static void setPlain(final long[] bits, final long from, final long to) {
        for (long w = from >>> 6; w <= to >>> 6; w++) {
            bits[(int) w] |= wordMask(w, from, to);
        }
    }
}
