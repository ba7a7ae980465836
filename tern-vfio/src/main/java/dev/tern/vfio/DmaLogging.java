package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.sys.Errno;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** DMA logging features 6/7/8 on a kernel device (vfio-migration.md §2.11). */
final class DmaLogging {
    private DmaLogging() {
    }

    private static final long PAGE = 4096;
    /** The core guarantees at least PAGE_SIZE/16 ranges; more is E2BIG on 4 KiB pages (§2.11). */
    private static final int MAX_RANGES = 256;

    /**
     * Probes START and, if offered, tries START / REPORT / STOP on one page at IOVA 0.
     *
     * @return "" if logging works, else why it is unavailable
     */
    static String trial(final VfioDevice device) {
        if (!device.probe(Vfio.FEATURE_DMA_LOGGING_START, Vfio.FEATURE_SET)) {
            return "not offered (PROBE of DMA_LOGGING_START failed)";
        }
        try {
            start(device, PAGE, List.of(new DmaRange(0, PAGE)));
        } catch (final DeviceException e) {
            return "START failed with " + Errno.name(e.errno());
        }
        try {
            report(device, 0, PAGE, PAGE, new long[1]);
            return "";
        } catch (final DeviceException e) {
            return "unavailable: REPORT fails with " + Errno.name(e.errno());
        } finally {
            try {
                stop(device);
            } catch (final DeviceException e) {
                // Logging stays started on the device until close; nothing else relies on it.
            }
        }
    }

    static long start(final VfioDevice device, final long pageSize, final List<DmaRange> ranges)
            throws DeviceException {
        if (ranges.size() > MAX_RANGES) {
            throw new DeviceException(Errno.E2BIG, ranges.size() + " ranges, at most " + MAX_RANGES);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment list = arena.allocate(VfioLayouts.LOGGING_RANGE, Math.max(1, ranges.size()));
            for (int i = 0; i < ranges.size(); i++) {
                final long at = i * VfioLayouts.LOGGING_RANGE.byteSize();
                list.set(ValueLayout.JAVA_LONG, at + VfioLayouts.LOGGING_RANGE_IOVA, ranges.get(i).iova());
                list.set(ValueLayout.JAVA_LONG, at + VfioLayouts.LOGGING_RANGE_LENGTH, ranges.get(i).length());
            }
            final MemorySegment c = arena.allocate(VfioLayouts.LOGGING_CONTROL);
            c.set(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_CONTROL_PAGE_SIZE, pageSize);
            c.set(ValueLayout.JAVA_INT, VfioLayouts.LOGGING_CONTROL_NUM_RANGES, ranges.size());
            c.set(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_CONTROL_RANGES, list.address());
            device.feature(Vfio.FEATURE_SET | Vfio.FEATURE_DMA_LOGGING_START, c, "DMA_LOGGING_START");
            return c.get(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_CONTROL_PAGE_SIZE);
        }
    }

    static void report(final VfioDevice device, final long iova, final long length, final long pageSize,
            final long[] bitmapOut) throws DeviceException {
        if (pageSize < PAGE || Long.bitCount(pageSize) != 1) {
            throw new DeviceException(Errno.EINVAL, "page size " + pageSize + " is not a power of two >= 4096");
        }
        final long pages = (length + pageSize - 1) / pageSize;
        if (length <= 0 || (pages + 63) / 64 > bitmapOut.length) {
            throw new DeviceException(Errno.EINVAL, "bitmap of " + bitmapOut.length + " words cannot hold " + pages
                    + " pages");
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment bitmap = arena.allocate(ValueLayout.JAVA_LONG, (pages + 63) / 64);
            final MemorySegment r = arena.allocate(VfioLayouts.LOGGING_REPORT);
            r.set(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_REPORT_IOVA, iova);
            r.set(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_REPORT_LENGTH, length);
            r.set(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_REPORT_PAGE_SIZE, pageSize);
            r.set(ValueLayout.JAVA_LONG, VfioLayouts.LOGGING_REPORT_BITMAP, bitmap.address());
            device.feature(Vfio.FEATURE_GET | Vfio.FEATURE_DMA_LOGGING_REPORT, r, "DMA_LOGGING_REPORT");
            // §2.11: bits are only ever set in the caller's bitmap.
            for (int i = 0; i < (pages + 63) / 64; i++) {
                bitmapOut[i] |= bitmap.getAtIndex(ValueLayout.JAVA_LONG, i);
            }
        }
    }

    static void stop(final VfioDevice device) throws DeviceException {
        device.feature(Vfio.FEATURE_SET | Vfio.FEATURE_DMA_LOGGING_STOP, MemorySegment.ofArray(new byte[0]),
                "DMA_LOGGING_STOP");
    }
}
