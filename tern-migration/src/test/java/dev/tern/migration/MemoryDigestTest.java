package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vmm.GuestMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The memory digest kept page by page equals the one computed over a whole image, and catches what it must. */
class MemoryDigestTest {

    private static final int PAGE = GuestMemory.PAGE;
    private static final int PAGES = 300;

    @Test
    void pagesReceivedInAnyOrderWithRewritesDigestLikeTheWholeImage() {
        try (Arena arena = Arena.ofShared()) {
            final MemorySegment source = image(arena, 1);
            final MemorySegment dest = arena.allocate((long) PAGES * PAGE);
            final MemoryDigest digest = new MemoryDigest(PAGES);
            final Random random = new Random(7);
            // Round 1: everything, in runs of random length; then rewrites of random pages with stale content first.
            for (int p = 0; p < PAGES;) {
                final int run = Math.min(PAGES - p, 1 + random.nextInt(20));
                receive(dest, digest, source, p, run);
                p += run;
            }
            for (int i = 0; i < 100; i++) {
                final int p = random.nextInt(PAGES);
                source.set(ValueLayout.JAVA_LONG, (long) p * PAGE + 8L * random.nextInt(PAGE / 8), random.nextLong());
                receive(dest, digest, source, p, 1);
            }
            assertThat(digest.value()).isEqualTo(MemoryDigest.of(source)).isEqualTo(MemoryDigest.of(dest));
        }
    }

    @Test
    void aPageChangedAndNotResentOrNeverSentMakesTheDigestsDiffer() {
        try (Arena arena = Arena.ofShared()) {
            final MemorySegment source = image(arena, 2);
            final MemorySegment dest = arena.allocate((long) PAGES * PAGE);
            final MemoryDigest digest = new MemoryDigest(PAGES);
            receive(dest, digest, source, 0, PAGES);
            assertThat(digest.value()).isEqualTo(MemoryDigest.of(source));
            source.set(ValueLayout.JAVA_BYTE, 77L * PAGE + 5, (byte) (source.get(ValueLayout.JAVA_BYTE, 77L * PAGE + 5)
                    ^ 1)); // a missed dirty bit: changed, not resent
            assertThat(digest.value()).isNotEqualTo(MemoryDigest.of(source));

            final MemoryDigest partial = new MemoryDigest(PAGES);
            receive(dest, partial, source, 0, PAGES - 1);
            assertThat(partial.value()).isNotEqualTo(MemoryDigest.of(source));
            // Two pages swapped: same CRCs, other indices.
            final MemoryDigest swapped = new MemoryDigest(PAGES);
            receive(dest, swapped, source, 0, PAGES);
            final MemorySegment other = arena.allocate((long) PAGES * PAGE);
            other.copyFrom(source);
            other.asSlice(3L * PAGE, PAGE).copyFrom(source.asSlice(4L * PAGE, PAGE));
            other.asSlice(4L * PAGE, PAGE).copyFrom(source.asSlice(3L * PAGE, PAGE));
            assertThat(MemoryDigest.of(other)).isNotEqualTo(swapped.value());
        }
    }

    private static MemorySegment image(final Arena arena, final long seed) {
        final MemorySegment m = arena.allocate((long) PAGES * PAGE);
        final Random random = new Random(seed);
        for (long off = 0; off < m.byteSize(); off += 8) {
            m.set(ValueLayout.JAVA_LONG, off, random.nextLong());
        }
        return m;
    }

    private static void receive(final MemorySegment dest, final MemoryDigest digest, final MemorySegment source,
            final int page, final int pages) {
        final long off = (long) page * PAGE;
        final long len = (long) pages * PAGE;
        dest.asSlice(off, len).copyFrom(source.asSlice(off, len));
        digest.received(off, dest.asSlice(off, len));
    }
}
