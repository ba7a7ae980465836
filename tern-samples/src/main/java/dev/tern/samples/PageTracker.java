package dev.tern.samples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One bit per 4 KiB page of device memory, set with atomic ORs by the device's threads and taken with atomic
 * swaps by the migration source, so a write racing a read-and-clear is never lost (it is sent again later).
 */
final class PageTracker {

    /** Page size of the tracker. */
    static final int PAGE = 4096;
    static final int SHIFT = 12;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long pages;

    /** @param pages number of pages tracked */
    PageTracker(final long pages) {
        this.pages = pages;
        this.words = new long[(int) ((pages + 63) >>> 6)];
    }

    long pages() {
        return pages;
    }

    int words() {
        return words.length;
    }

    /** Marks the pages of {@code [offset, offset + length)}. */
    void mark(final long offset, final long length) {
        if (length <= 0) {
            return;
        }
        final long first = offset >>> SHIFT;
        final long last = (offset + length - 1) >>> SHIFT;
        for (long w = first >>> 6; w <= last >>> 6; w++) {
            final long lo = w << 6;
            final long m1 = first <= lo ? -1L : -1L << (first - lo);
            final long m2 = last >= lo + 63 ? -1L : -1L >>> (63 - (last - lo));
            final long mask = m1 & m2;
            if (((long) WORDS.getOpaque(words, (int) w) & mask) != mask) {
                WORDS.getAndBitwiseOr(words, (int) w, mask);
            }
        }
    }

    /** Marks every page. */
    void markAll() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setVolatile(words, w, lastWordMask(w));
        }
    }

    /** Clears every page. */
    void clearAll() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setVolatile(words, w, 0L);
        }
    }

    /** Atomically takes word {@code w}: returns its bits and leaves it clear. */
    long take(final int w) {
        return (long) WORDS.getAndSet(words, w, 0L);
    }

    /** Atomically clears the given bits of word {@code w}. */
    void clear(final int w, final long mask) {
        WORDS.getAndBitwiseAnd(words, w, ~mask);
    }

    /** @return word {@code w} without clearing it */
    long peek(final int w) {
        return (long) WORDS.getVolatile(words, w);
    }

    /** @return pages marked now */
    long count() {
        long n = 0;
        for (int w = 0; w < words.length; w++) {
            n += Long.bitCount((long) WORDS.getOpaque(words, w));
        }
        return n;
    }

    /** @return the bits of word {@code w} that stand for existing pages */
    long lastWordMask(final int w) {
        final long valid = pages - ((long) w << 6);
        return valid >= 64 ? -1L : (1L << valid) - 1;
    }
}
