package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class DirtyLogTest {

    private final DirtyLog log = new DirtyLog();

    private static int errno(final DmaSpaceTestAction a) {
        try {
            a.run();
        } catch (final DeviceException e) {
            return e.errno();
        }
        throw new AssertionError("no DeviceException");
    }

    @FunctionalInterface
    private interface DmaSpaceTestAction {
        void run() throws DeviceException;
    }

    @Test
    void startFollowsTheUapiErrnoTable() throws Exception {
        final List<DmaRange> many = new ArrayList<>();
        for (int i = 0; i < 257; i++) {
            many.add(new DmaRange(i * 0x2000L, 0x1000));
        }
        assertThat(errno(() -> log.start(4096, List.of()))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.start(4096, many))).isEqualTo(Errno.E2BIG);
        assertThat(log.start(4096, many.subList(0, 256))).as("256 ranges are fine").isEqualTo(4096);
        log.stop();
        assertThat(errno(() -> log.start(4096, List.of(new DmaRange(0x800, 0x1000))))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.start(4096, List.of(new DmaRange(0x1000, 0x800))))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.start(3000, List.of(new DmaRange(0, 3000))))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.start(4096, List.of(new DmaRange(0x4000, 0x2000), new DmaRange(0x5000,
                0x2000))))).isEqualTo(Errno.EINVAL);
        assertThat(log.start(1024, List.of(new DmaRange(0x400, 0x400)))).as("hint below 4 KiB is raised")
                .isEqualTo(4096);
        assertThat(errno(() -> log.start(4096, List.of(new DmaRange(0, 0x1000))))).isEqualTo(Errno.EBUSY);
        log.stop();
        log.stop();
        assertThat(log.active()).isFalse();
        assertThat(errno(() -> DmaRange.checked(Long.MAX_VALUE - 0x1000, 0x2000))).isEqualTo(Errno.EOVERFLOW);
    }

    @Test
    void reportFollowsTheUapiErrnoTable() throws Exception {
        assertThat(errno(() -> log.report(0, 4096, 4096, new long[1]))).as("not started").isEqualTo(Errno.EINVAL);
        log.start(4096, List.of(new DmaRange(0x10000, 0x10000)));
        assertThat(errno(() -> log.report(0x10000, 4096, 2048, new long[1]))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.report(0x10000, 0x3000, 12288, new long[1]))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.report(0x10000, 0, 4096, new long[1]))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.report(0x0, 0x1000, 4096, new long[1]))).as("outside the logged ranges")
                .isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.report(0x10000, 0x10000, 256, new long[1]))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> log.report(0x10000, 0x10000 * 65L, 4096, new long[1]))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void reportIsReadAndClearAndOnlySetsBits() throws Exception {
        log.start(4096, List.of(new DmaRange(0x10000, 0x40000)));
        log.record(0x10000, 1);
        log.record(0x12FFF, 2);
        log.record(0x4F000, 0x1000);
        final long[] bitmap = {1L << 40};
        log.report(0x10000, 0x40000, 4096, bitmap);
        assertThat(bitmap[0]).isEqualTo(1L | 1L << 2 | 1L << 3 | 1L << 40 | 1L << 63);
        final long[] again = new long[1];
        log.report(0x10000, 0x40000, 4096, again);
        assertThat(again[0]).as("cleared by the first report").isZero();
    }

    @Test
    void reportConvertsPageSizesAndKeepsPartlyCoveredPages() throws Exception {
        log.start(4096, List.of(new DmaRange(0x0, 0x10000), new DmaRange(0x10000, 0x10000)));
        log.record(0x3000, 0x10);
        log.record(0xF000, 0x2000);
        final long[] big = new long[1];
        log.report(0x0, 0x20000, 16384, big);
        assertThat(big[0]).isEqualTo(1L | 1L << 3 | 1L << 4);
        log.record(0x5000, 1);
        final long[] part = new long[1];
        log.report(0x5800, 0x800, 4096, part);
        assertThat(part[0]).isEqualTo(1L);
        final long[] whole = new long[1];
        log.report(0x5000, 0x1000, 4096, whole);
        assertThat(whole[0]).as("a page only partly inside a report is not cleared").isEqualTo(1L);
    }

    /**
     * Seeded random writes and reports (tracking at 4-64 KiB, reports at 4 KiB-2 MiB from unaligned origins, across
     * chunk boundaries) against a naive model: a set of dirty tracked pages, a report sets the bits each dirty page
     * overlaps and clears the pages wholly inside it.
     */
    @Test
    void reportsMatchANaiveModelOverSeededRandomWritesAndRanges() throws Exception {
        final Random r = new Random(0xD1247);
        for (int trial = 0; trial < 30; trial++) {
            final DirtyLog l = new DirtyLog();
            final long tps = l.startAll(4096L << r.nextInt(5));
            final long span = (long) DirtyLog.CHUNK_PAGES * tps * 3;
            final TreeSet<Long> model = new TreeSet<>();
            for (int step = 0; step < 200; step++) {
                if (r.nextInt(3) > 0) {
                    final long at = (long) (r.nextDouble() * span);
                    final long len = 1 + r.nextInt(r.nextBoolean() ? 100 : 300_000);
                    l.record(at, len);
                    for (long p = at / tps; p <= (at + len - 1) / tps; p++) {
                        model.add(p);
                    }
                    continue;
                }
                final long rps = 4096L << r.nextInt(10);
                // near a written page, so edge pages only partly inside the report are often dirty
                final Long after = model.ceiling((long) (r.nextDouble() * span / tps));
                final long near = after != null ? after : model.isEmpty() ? 0 : model.first();
                final long iova = Math.max(0, near * tps + r.nextInt((int) (2 * tps)) - tps);
                final long length = 1 + (long) (r.nextDouble() * Math.min(span, rps * 64 * 8 - rps));
                final long[] got = new long[8];
                l.report(iova, length, rps, got);
                final long[] want = new long[8];
                for (final long p : List.copyOf(model.subSet(iova / tps, true, (iova + length - 1) / tps, true))) {
                    final long from = Math.max(p * tps, iova) - iova;
                    final long to = Math.min((p + 1) * tps, iova + length) - 1 - iova;
                    for (long i = from / rps; i <= to / rps; i++) {
                        want[(int) (i / 64)] |= 1L << i;
                    }
                    if (p * tps >= iova && (p + 1) * tps <= iova + length) {
                        model.remove(p);
                    }
                }
                assertThat(got).as("trial %d step %d: report 0x%x+0x%x at %d, tracking %d", trial, step, iova,
                        length, rps, tps).isEqualTo(want);
            }
        }
    }

    @Test
    void concurrentWritersLoseNoBitsAgainstAReader() throws Exception {
        log.start(4096, List.of(new DmaRange(0, 4096L * 4096)));
        final Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 4096; i++) {
                log.record(i * 4096L, 8);
            }
        });
        final long[] seen = new long[64];
        while (writer.isAlive()) {
            log.report(0, 4096L * 4096, 4096, seen);
        }
        writer.join();
        log.report(0, 4096L * 4096, 4096, seen);
        for (final long w : seen) {
            assertThat(w).isEqualTo(-1L);
        }
    }

    @Test
    void logAllRecordsEveryWriteAndAllocatesOnlyWhatIsWritten() throws Exception {
        assertThat(log.startAll(4096)).isEqualTo(4096);
        assertThat(errno(() -> log.startAll(4096))).isEqualTo(Errno.EBUSY);
        assertThat(log.bitmapBytes()).isZero();
        final long far = 1L << 50;
        log.record(0x3000, 0x2000);
        log.record(far + 0x1000, 1);
        assertThat(log.bitmapBytes()).as("two chunks").isEqualTo(2L * DirtyLog.CHUNK_PAGES / 8);
        final long[] low = new long[1];
        log.report(0, 64 * 4096, 4096, low);
        assertThat(low[0]).isEqualTo(0b11000);
        final long[] high = new long[1];
        log.report(far, 64 * 4096, 4096, high);
        assertThat(high[0]).isEqualTo(0b10);
        final long[] empty = new long[1];
        log.report(1L << 40, 64 * 4096, 4096, empty);
        assertThat(empty[0]).isZero();
        log.stop();
        assertThat(log.bitmapBytes()).isZero();
    }

    @Test
    void aHugeRangeCostsNothingUntilWritten() throws Exception {
        log.start(4096, List.of(new DmaRange(0, 1L << 60)));
        assertThat(log.bitmapBytes()).isZero();
        log.record((1L << 59) + 4096 * 3, 8);
        final long[] out = new long[1];
        log.report(1L << 59, 64 * 4096, 4096, out);
        assertThat(out[0]).isEqualTo(0b1000);
    }
}
