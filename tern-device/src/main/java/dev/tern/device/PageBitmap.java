package dev.tern.device;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongConsumer;

/**
 * One bit per page of a memory, word-wise atomic: any number of threads mark pages (atomic OR, skipped when the bits
 * are already set), and one collector at a time reads and clears them (atomic AND or swap per word). A page marked
 * while it is being collected is either collected now or stays marked for the next collection, never lost — the
 * contract of a dirty log (uAPI {@code DMA_LOGGING_REPORT} "read and clear", KVM's dirty log).
 *
 * <p>Page {@code p} covers bytes {@code [p * pageSize, (p + 1) * pageSize)}; bit {@code p % 64} of word
 * {@code p / 64} stands for it, which is also the layout of every plain {@code long[]} bitmap this class reads or
 * fills (the uAPI's {@code __u64 *bitmap}).
 */
public final class PageBitmap {

    /**
     * A run of consecutive pages: {@code [first, first + pages)}.
     *
     * @param first the run's first page number (page {@code p} covers bytes {@code [p * pageSize, (p + 1) * pageSize)})
     * @param pages pages in the run, at least 1 when returned by {@link #take} or {@link #forEachRun}
     */
    public record Run(long first, long pages) {
        /** {@return the first page after the run} */
        public long end() {
            return first + pages;
        }
    }

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long pages;
    private final int shift;

    /**
     * Creates a bitmap with every page clean.
     *
     * @param pages    pages tracked, at most 2^37
     * @param pageSize bytes per page, a power of two
     */
    public PageBitmap(final long pages, final long pageSize) {
        if (pages <= 0 || pages > 1L << 37 || pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("bitmap of " + pages + " pages of " + pageSize + " bytes");
        }
        this.pages = pages;
        this.shift = Long.numberOfTrailingZeros(pageSize);
        this.words = new long[words(pages)];
    }

    /**
     * {@return the words of a plain bitmap holding {@code pages} bits}
     *
     * @param pages bits the bitmap must hold, 0 to 2^37
     */
    public static int words(final long pages) {
        return (int) ((pages + 63) >>> 6);
    }

    /** {@return pages tracked} */
    public long pages() {
        return pages;
    }

    /** {@return bytes per page} */
    public long pageSize() {
        return 1L << shift;
    }

    // ---- marking: any thread ----

    /**
     * Marks every page overlapping bytes {@code [offset, offset + length)}; nothing if {@code length <= 0}.
     *
     * @param offset first byte written, from the start of the tracked memory, at least 0
     * @param length bytes written
     * @throws IndexOutOfBoundsException if a byte of the range lies past the last page
     */
    public void mark(final long offset, final long length) {
        if (length > 0) {
            markPages(offset >>> shift, ((offset + length - 1) >>> shift) - (offset >>> shift) + 1);
        }
    }

    /**
     * Marks pages {@code [first, first + count)}.
     *
     * @param first first page number, at least 0
     * @param count pages to mark, at least 0 (0 marks nothing)
     * @throws IndexOutOfBoundsException if they are not all tracked
     */
    public void markPages(final long first, final long count) {
        check(first, count);
        if (count == 0) {
            return;
        }
        // the hot path of every tracked write: a plain loop, and no atomic when the bits are already set
        final long last = first + count - 1;
        for (long w = first >>> 6; w <= last >>> 6; w++) {
            final long mask = mask(w, first, last);
            if (((long) WORDS.getOpaque(words, (int) w) & mask) != mask) {
                WORDS.getAndBitwiseOr(words, (int) w, mask);
            }
        }
    }

    /** Marks every page. */
    public void markAll() {
        markPages(0, pages);
    }

    /**
     * ORs a plain bitmap into this one (e.g. a device's DMA dirty report into the guest's dirty pages).
     *
     * @param bits bit {@code p} marks page {@code p}; bits past {@link #pages()} are ignored
     */
    public void markFrom(final long[] bits) {
        for (int w = 0; w < Math.min(bits.length, words.length); w++) {
            final long m = bits[w] & validMask(w);
            if (m != 0) {
                WORDS.getAndBitwiseOr(words, w, m);
            }
        }
    }

    // ---- reading ----

    /**
     * {@return true if page {@code page} is marked}
     *
     * @param page page number, {@code [0, pages())}
     * @throws IndexOutOfBoundsException if the page is not tracked
     */
    public boolean test(final long page) {
        check(page, 1);
        return ((long) WORDS.getVolatile(words, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /** {@return pages marked now (a sum over the words, not a snapshot: concurrent marks may or may not count)} */
    public long count() {
        long n = 0;
        for (int w = 0; w < words.length; w++) {
            n += Long.bitCount((long) WORDS.getOpaque(words, w));
        }
        return n;
    }

    /**
     * Calls {@code run} for each run of marked pages, in order, without clearing them. A page marked during the walk
     * may or may not be seen.
     *
     * @param run called with each maximal run of marked pages, lowest first, on the calling thread
     */
    public void forEachRun(final java.util.function.Consumer<Run> run) {
        long page = 0;
        while ((page = next(page)) >= 0) {
            long end = page + 1;
            while (end < pages && test(end)) {
                end++;
            }
            run.accept(new Run(page, end - page));
            page = end;
        }
    }

    /**
     * {@return the first marked page at or after {@code from}, or -1}
     *
     * @param from page number to start at; 0 or more (at or past {@link #pages()} finds nothing)
     */
    public long next(final long from) {
        for (long page = from; page < pages; ) {
            final int w = (int) (page >>> 6);
            final long word = (long) WORDS.getVolatile(words, w) >>> (page & 63);
            if (word != 0) {
                return page + Long.numberOfTrailingZeros(word);
            }
            page = ((long) w + 1) << 6;
        }
        return -1;
    }

    // ---- collecting: one collector at a time ----

    /** Clears every page. */
    public void clearAll() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setVolatile(words, w, 0L);
        }
    }

    /**
     * Takes the first run of marked pages at or after {@code from}, at most {@code max} long, clearing it. Clear
     * before copying the pages: a write racing the copy marks its page again, so it is taken again later.
     *
     * @param from page number to search from, at least 0
     * @param max  the longest run to take, in pages, at least 1 (bounds one copy, e.g. a stream record)
     * @return the run, or null if no page at or after {@code from} is marked
     */
    public Run take(final long from, final long max) {
        final long first = next(from);
        if (first < 0) {
            return null;
        }
        long end = first + 1;
        while (end < pages && end - first < max && test(end)) {
            end++;
        }
        // bits only ever get set by others, so every bit seen set above is still set: clearing is exact
        for (long w = first >>> 6; w <= (end - 1) >>> 6; w++) { // no lambda: a saving read allocates nothing
            WORDS.getAndBitwiseAnd(words, (int) w, ~mask(w, first, end - 1));
        }
        return new Run(first, end - first);
    }

    /**
     * Collects and clears every page into {@code into} (ORed in; same layout, at least {@link #words(long)} words).
     *
     * @param into the caller's bitmap, {@code words(pages())} words or more; its set bits stay set
     * @return pages collected
     */
    public long collect(final long[] into) {
        long n = 0;
        for (int w = 0; w < words.length; w++) {
            if ((long) WORDS.getOpaque(words, w) != 0) {
                final long taken = (long) WORDS.getAndSet(words, w, 0L);
                into[w] |= taken;
                n += Long.bitCount(taken);
            }
        }
        return n;
    }

    /**
     * Visits each marked page of {@code [first, first + count)} in order, clearing it if {@code clear}.
     *
     * @param first first page number of the range, at least 0
     * @param count pages in the range, at least 0
     * @param clear true to clear each visited page (one collector at a time), false to only read
     * @param page  called with each marked page number, ascending, on the calling thread
     * @return pages visited
     * @throws IndexOutOfBoundsException if the range is not all tracked
     */
    public long drain(final long first, final long count, final boolean clear, final LongConsumer page) {
        check(first, count);
        final long[] n = {0};
        forWords(first, count, (w, mask) -> {
            long bits = (clear ? (long) WORDS.getAndBitwiseAnd(words, w, ~mask) : (long) WORDS.getVolatile(words, w))
                    & mask;
            n[0] += Long.bitCount(bits);
            while (bits != 0) {
                page.accept(((long) w << 6) + Long.numberOfTrailingZeros(bits));
                bits &= bits - 1;
            }
        });
        return n[0];
    }

    /**
     * Collects pages {@code [first, first + count)} into a plain bitmap of another granularity and origin, as
     * {@code DMA_LOGGING_REPORT} asks: bit {@code i} of {@code out} covers bytes
     * {@code [origin + i * outPageSize, origin + (i + 1) * outPageSize)} of this bitmap's address space; a marked page
     * sets every bit whose bytes it overlaps inside {@code [origin, end)} ({@code out} must hold them all); a page
     * outside that range sets none. Bits are only set in {@code out}.
     *
     * @param first       first page number (of this bitmap) to collect, at least 0
     * @param count       pages to collect, at least 0
     * @param clear       clear the collected pages (false: report only, e.g. pages only partly inside the range)
     * @param out         the caller's bitmap, bit {@code i} covering {@code outPageSize} bytes from
     *                    {@code origin + i * outPageSize}; bits are ORed in, never cleared
     * @param origin      the byte address (in this bitmap's address space) that bit 0 of {@code out} starts at
     * @param end         the first byte address past the reported range; {@code origin <= end}
     * @param outPageSize bytes per bit of {@code out}, a power of two
     * @return pages collected (marked pages of the range, whether or not they overlap {@code [origin, end)})
     * @throws IndexOutOfBoundsException if pages {@code [first, first + count)} are not all tracked, or
     *                                   {@code out} is too short for the bits to set
     */
    public long collect(final long first, final long count, final boolean clear, final long[] out, final long origin,
            final long end, final long outPageSize) {
        final int outShift = Long.numberOfTrailingZeros(outPageSize);
        final long size = 1L << shift;
        return drain(first, count, clear, p -> {
            final long from = Math.max(p << shift, origin) - origin;
            final long to = Math.min((p << shift) + size, end) - 1 - origin;
            if (to < from) {
                return; // the page lies outside [origin, end): nothing to report
            }
            for (long i = from >>> outShift; i <= to >>> outShift; i++) {
                out[(int) (i >>> 6)] |= 1L << i;
            }
        });
    }

    // ---- words ----

    @FunctionalInterface
    private interface WordOp {
        void apply(int word, long mask);
    }

    /** Applies {@code op} to each word of pages {@code [first, first + count)} with the mask of those pages. */
    private static void forWords(final long first, final long count, final WordOp op) {
        if (count <= 0) {
            return;
        }
        final long last = first + count - 1;
        for (long w = first >>> 6; w <= last >>> 6; w++) {
            op.apply((int) w, mask(w, first, last));
        }
    }

    /** {@return the bits of word {@code w} that stand for pages {@code [first, last]}} */
    private static long mask(final long w, final long first, final long last) {
        final long lo = w << 6;
        final long m1 = first <= lo ? -1L : -1L << (first - lo);
        final long m2 = last >= lo + 63 ? -1L : -1L >>> (63 - (last - lo));
        return m1 & m2;
    }

    private long validMask(final int w) {
        final long valid = pages - ((long) w << 6);
        return valid >= 64 ? -1L : (1L << valid) - 1;
    }

    private void check(final long first, final long count) {
        if (first < 0 || count < 0 || first > pages - count) {
            throw new IndexOutOfBoundsException("pages " + first + "+" + count + " outside " + pages);
        }
    }
}
