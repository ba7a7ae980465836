package dev.tern.device;

import dev.tern.sys.Errno;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dirty logging of the device's DMA writes: {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START/STOP/REPORT} (uAPI
 * {@code vfio.h}, spec §2.11), and vfio-user's "log every write" mode.
 *
 * <p>{@link DmaSpace} records every write it performs, so device authors write no tracking code. The log keeps one
 * bit per page of the chosen page size in {@link PageBitmap}s, marked by device threads and read-and-cleared by
 * {@link #report}, so no write between two reports is lost.
 *
 * <p><b>Memory follows the writes, not the request.</b> Bits live in chunks of {@value #CHUNK_PAGES} pages (4 KiB of
 * bitmap, 128 MiB of IOVA at 4 KiB pages) allocated when a page in them is first written. Writes only land in
 * DMA-mapped memory, so a START over a huge range (a 48-byte request for 2^62 bytes) costs nothing until the device
 * writes, and then as much as the mapped memory it wrote; a REPORT touches only the chunks of its range, whose size
 * the caller bounds by the bitmap it can send back.
 *
 * <p>Errors, following the kernel for {@link #start}: no ranges → EINVAL; more than {@value #MAX_RANGES} → E2BIG; page
 * size not a power of two, or a range not aligned to it → EINVAL; a range past 2^63 → EOVERFLOW; overlapping ranges
 * → EINVAL; START while started → <b>EBUSY</b> (the uAPI only says the driver must reject it; Tern picks EBUSY
 * because the request is valid, just not now). REPORT before START, with a page size below 4096 or not a power of
 * two, an empty range, a range not covered by the tracked ranges, or a bitmap too small → EINVAL. STOP is
 * idempotent. {@link #startAll} is vfio-user's START with zero ranges ("all writes should be logged"): every write,
 * wherever it lands, including to mappings added later; a REPORT may then ask for any range.
 */
public final class DirtyLog {

    /** The smallest page size a report may ask for (4 KiB). */
    public static final long MIN_PAGE_SIZE = 4096;
    /** Ranges the core guarantees ({@code PAGE_SIZE / sizeof(range)} on 4 KiB pages). */
    public static final int MAX_RANGES = 256;
    private static final int CHUNK_SHIFT = 15;
    /** Pages per lazily allocated bitmap chunk. */
    static final int CHUNK_PAGES = 1 << CHUNK_SHIFT;

    /**
     * @param shift  log2 of the page size
     * @param ranges the tracked ranges sorted by IOVA, or null to track every write
     * @param chunks bitmap chunks by {@code page >>> CHUNK_SHIFT}; bit {@code i} of chunk {@code c} is page
     *               {@code (c << CHUNK_SHIFT) + i} (page number = address >>> shift)
     */
    private record Tracking(int shift, DmaRange[] ranges, ConcurrentHashMap<Long, PageBitmap> chunks) {
    }

    private volatile Tracking tracking;

    /** A log that records nothing until {@code DMA_LOGGING_START}. */
    public DirtyLog() {
    }

    /** {@return true between START and STOP} */
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
        if (ranges.isEmpty()) {
            throw new DeviceException(Errno.EINVAL, "DMA logging START needs at least one range");
        }
        if (ranges.size() > MAX_RANGES) {
            throw new DeviceException(Errno.E2BIG, ranges.size() + " ranges; at most " + MAX_RANGES);
        }
        checkStart(pageSize);
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
        return begin(pageSize, sorted.toArray(DmaRange[]::new));
    }

    /**
     * Starts logging every write, wherever it lands, mappings added later included (vfio-user DMA_LOGGING_START
     * with zero ranges).
     *
     * @param pageSize any power of two (below 4096 is raised to 4096)
     * @return the page size chosen
     * @throws DeviceException EBUSY if started, EINVAL for a bad page size
     */
    public synchronized long startAll(final long pageSize) throws DeviceException {
        checkStart(pageSize);
        return begin(pageSize, null);
    }

    private void checkStart(final long pageSize) throws DeviceException {
        if (tracking != null) {
            throw new DeviceException(Errno.EBUSY, "DMA logging already started; STOP it first");
        }
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new DeviceException(Errno.EINVAL, "page size " + pageSize + " is not a power of two");
        }
    }

    private long begin(final long pageSize, final DmaRange[] ranges) {
        final long chosen = Math.max(pageSize, MIN_PAGE_SIZE);
        tracking = new Tracking(Long.numberOfTrailingZeros(chosen), ranges, new ConcurrentHashMap<>());
        return chosen;
    }

    /** Stops logging ({@code DMA_LOGGING_STOP}) and drops the log; a no-op when not started. */
    public synchronized void stop() {
        tracking = null;
    }

    /** {@return bytes of bitmap allocated now (chunks written to), for tests and diagnostics} */
    public long bitmapBytes() {
        final Tracking t = tracking;
        return t == null ? 0 : (long) t.chunks.size() * CHUNK_PAGES / 8;
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
        if (t.ranges == null) {
            mark(t, iova >>> t.shift, (end - 1) >>> t.shift);
            return;
        }
        for (final DmaRange r : t.ranges) {
            if (r.end() <= iova) {
                continue;
            }
            if (r.iova() >= end) {
                break;
            }
            mark(t, Math.max(iova, r.iova()) >>> t.shift, (Math.min(end, r.end()) - 1) >>> t.shift);
        }
    }

    /** Marks pages {@code [p0, p1]}, allocating their chunks on first use. */
    private static void mark(final Tracking t, final long p0, final long p1) {
        for (long c = p0 >>> CHUNK_SHIFT; c <= p1 >>> CHUNK_SHIFT; c++) {
            final long base = c << CHUNK_SHIFT;
            final long lo = Math.max(p0, base);
            t.chunks.computeIfAbsent(c, k -> new PageBitmap(CHUNK_PAGES, 1L << t.shift)).markPages(lo - base,
                    Math.min(p1, base + CHUNK_PAGES - 1) - lo + 1);
        }
    }

    /**
     * Reports and clears the pages written in {@code [iova, iova + length)} ({@code DMA_LOGGING_REPORT}): bit
     * {@code i} of {@code bitmapOut} (bit {@code i % 64} of word {@code i / 64}) covers
     * {@code [iova + i * pageSize, iova + (i + 1) * pageSize)}. Bits are only set, never cleared, in the output.
     * Tracked pages only partly inside the range are reported but not cleared, so nothing is lost.
     *
     * @param iova      first IOVA of the range (the uAPI's {@code iova}); need not be aligned to either page size
     * @param length    bytes of the range (the uAPI's {@code length}), at least 1
     * @param pageSize  bytes per bit of {@code bitmapOut} (the uAPI's {@code page_size}), a power of two of at least
     *                  {@value #MIN_PAGE_SIZE}; independent of the page size START chose
     * @param bitmapOut the caller's bitmap, at least {@code ceil(length / pageSize)} bits; bits are ORed in, so the
     *                  caller zeroes it first for a plain report
     * @throws DeviceException EINVAL before START, for a page size below 4096 or not a power of two, an empty range,
     *                         a range not covered by the tracked ranges or a bitmap too small; EOVERFLOW for a range
     *                         past 2^63 (nothing is cleared then)
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
        if (t.ranges != null && !covered(t.ranges, want)) {
            throw new DeviceException(Errno.EINVAL, "report range " + want + " is not inside the logged ranges");
        }
        final long p0 = iova >>> t.shift;
        final long p1 = (want.end() - 1) >>> t.shift;
        // only the first and the last page can be partly outside the range: those are reported, not cleared
        final long full0 = (p0 << t.shift) >= iova ? p0 : p0 + 1;
        final long full1 = (p1 << t.shift) <= want.end() - (1L << t.shift) ? p1 : p1 - 1;
        for (long c = p0 >>> CHUNK_SHIFT; c <= p1 >>> CHUNK_SHIFT; c++) {
            final PageBitmap chunk = t.chunks.get(c);
            if (chunk == null) {
                continue;
            }
            final long base = c << CHUNK_SHIFT;
            final long lo = Math.max(p0, base);
            final long hi = Math.min(p1, base + CHUNK_PAGES - 1);
            final long clearLo = Math.max(lo, full0);
            final long clearHi = Math.min(hi, full1);
            final long origin = iova - (base << t.shift);
            final long end = want.end() - (base << t.shift);
            for (long p = lo; p <= hi; p++) {
                if (p == clearLo && clearLo <= clearHi) {
                    chunk.collect(p - base, clearHi - clearLo + 1, true, bitmapOut, origin, end, pageSize);
                    p = clearHi;
                } else {
                    chunk.collect(p - base, 1, false, bitmapOut, origin, end, pageSize);
                }
            }
        }
    }

    /** @return true if the sorted {@code ranges} cover {@code want} without a gap */
    private static boolean covered(final DmaRange[] ranges, final DmaRange want) {
        long covered = want.iova();
        for (final DmaRange r : ranges) {
            if (r.end() > covered && r.iova() <= covered) {
                covered = r.end();
            }
        }
        return covered >= want.end();
    }
}
