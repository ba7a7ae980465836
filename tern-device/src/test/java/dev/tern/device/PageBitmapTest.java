package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PageBitmapTest {

    private static BitSet bits(final long[] words) {
        return BitSet.valueOf(words);
    }

    private static List<PageBitmap.Run> runs(final PageBitmap b) {
        final List<PageBitmap.Run> out = new ArrayList<>();
        b.forEachRun(out::add);
        return out;
    }

    @Test
    void aByteRangeMarksEveryPageItTouches() {
        final PageBitmap b = new PageBitmap(200, 4096);
        b.mark(4095, 2);
        b.mark(63 * 4096, 4096 * 3);
        b.mark(199 * 4096 + 17, 1);
        b.mark(5 * 4096, 0);
        assertThat(runs(b)).containsExactly(new PageBitmap.Run(0, 2), new PageBitmap.Run(63, 3),
                new PageBitmap.Run(199, 1));
        assertThat(b.count()).isEqualTo(6);
        assertThat(b.test(64)).isTrue();
        assertThat(b.test(66)).isFalse();
        assertThat(b.next(3)).isEqualTo(63);
        assertThat(b.next(200)).isEqualTo(-1);
        assertThatThrownBy(() -> b.mark(200 * 4096, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> b.markPages(-1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new PageBitmap(10, 3000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void markAllStopsAtTheLastPageAndMarkFromIgnoresBitsBeyondIt() {
        final PageBitmap b = new PageBitmap(70, 4096);
        b.markAll();
        assertThat(b.count()).isEqualTo(70);
        final long[] out = new long[2];
        assertThat(b.collect(out)).isEqualTo(70);
        assertThat(out[1]).isEqualTo((1L << 6) - 1);
        assertThat(b.count()).isZero();
        b.markFrom(new long[] {0b1010, -1L, -1L});
        assertThat(b.count()).isEqualTo(2 + 6);
    }

    @Test
    void takeClearsOneRunOfAtMostMaxPagesAtOrAfterTheCursor() {
        final PageBitmap b = new PageBitmap(300, 4096);
        b.markPages(10, 150);
        b.markPages(250, 3);
        assertThat(b.take(0, 64)).isEqualTo(new PageBitmap.Run(10, 64));
        assertThat(b.take(0, 1000)).isEqualTo(new PageBitmap.Run(74, 86));
        assertThat(b.take(252, 10)).isEqualTo(new PageBitmap.Run(252, 1));
        assertThat(b.take(253, 10)).isNull();
        assertThat(b.take(0, 10)).isEqualTo(new PageBitmap.Run(250, 2));
        assertThat(b.count()).isZero();
    }

    /** DMA_LOGGING_REPORT granularity: 4 KiB tracking reported at 8 KiB and at 1 KiB from an unaligned origin. */
    @Test
    void collectIntoAnotherGranularityAndOrigin() {
        final PageBitmap b = new PageBitmap(64, 4096);
        b.markPages(1, 1);
        b.markPages(4, 2);
        final long[] coarse = new long[1];
        assertThat(b.collect(0, 64, false, coarse, 0, 64 * 4096, 8192)).isEqualTo(3);
        assertThat(coarse[0]).as("8 KiB bits 0 and 2").isEqualTo(0b101);
        final long[] fine = new long[1];
        b.collect(0, 8, true, fine, 4096 + 2048, 4096 + 2048 + 64 * 1024, 1024);
        // page 1 = bytes [4096, 8192) -> [0, 2048) from the origin: 1 KiB bits 0-1; pages 4-5 -> [10240, 18432): 10-17
        assertThat(fine[0]).isEqualTo(0b11L | (((1L << 8) - 1) << 10));
        assertThat(b.count()).isZero();
        b.markPages(0, 3);
        final long[] window = new long[1];
        assertThat(b.collect(0, 3, true, window, 4096, 8192, 4096)).as("pages 0 and 2 lie outside").isEqualTo(3);
        assertThat(window[0]).isEqualTo(1);
    }

    @Test
    void drainVisitsAndClearsOnlyItsRange() {
        final PageBitmap b = new PageBitmap(256, 4096);
        b.markPages(60, 10);
        final List<Long> seen = new ArrayList<>();
        assertThat(b.drain(62, 70, true, seen::add)).isEqualTo(8);
        assertThat(seen).containsExactly(62L, 63L, 64L, 65L, 66L, 67L, 68L, 69L);
        assertThat(runs(b)).containsExactly(new PageBitmap.Run(60, 2));
    }

    /**
     * Markers on 3 threads mark seeded random blocks of 1..70 pages (every page in exactly one block, blocks dealt
     * out at random, so threads share words) while a collector alternates whole collections and run takes: each
     * page must be collected exactly once — a mark lost to a racing clear would leave it at 0.
     */
    @Test
    @Timeout(60)
    void concurrentMarksAreCollectedExactlyOnce() throws Exception {
        final int pages = 300_000;
        final int threads = 3;
        final Random seeded = new Random(0x5EED);
        final List<List<long[]>> blocks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            blocks.add(new ArrayList<>());
        }
        for (int p = 0; p < pages; ) {
            final int n = Math.min(1 + seeded.nextInt(70), pages - p);
            blocks.get(seeded.nextInt(threads)).add(new long[] {p, n});
            p += n;
        }
        final PageBitmap b = new PageBitmap(pages, 4096);
        final int[] times = new int[pages];
        final CountDownLatch start = new CountDownLatch(1);
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final List<Future<?>> markers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final List<long[]> mine = blocks.get(t);
                markers.add(pool.submit(() -> {
                    start.await();
                    for (final long[] block : mine) {
                        b.mark(block[0] * 4096 + 100, block[1] * 4096 - 200);
                    }
                    return null;
                }));
            }
            start.countDown();
            boolean byRuns = false;
            boolean markersDone = false;
            while (!markersDone) {
                markersDone = markers.stream().allMatch(Future::isDone);
                if (byRuns) {
                    PageBitmap.Run run;
                    for (long p = 0; (run = b.take(p, 100)) != null; p = run.end()) {
                        for (long q = run.first(); q < run.end(); q++) {
                            times[(int) q]++;
                        }
                    }
                } else {
                    final long[] out = new long[PageBitmap.words(pages)];
                    b.collect(out);
                    bits(out).stream().forEach(q -> times[q]++);
                }
                byRuns = !byRuns;
            }
            for (final Future<?> f : markers) {
                f.get();
            }
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(b.count()).as("the last pass ran after every marker finished").isZero();
        final BitSet wrong = new BitSet();
        for (int p = 0; p < pages; p++) {
            if (times[p] != 1) {
                wrong.set(p);
            }
        }
        assertThat(wrong.toString()).as("pages not collected exactly once").isEqualTo("{}");
    }
}
