package dev.tern.migration;

import dev.tern.device.PageBitmap;
import dev.tern.vmm.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;

/**
 * The digest of guest memory that verification compares (issue 13 item 1): the sum, mod 2^64, of
 * {@code mix(page index, CRC32C(page))} over every 4 KiB page. A sum does not depend on order, so the destination
 * keeps it current page by page as memory arrives ({@link #received}, O(1) per page, nothing left to do at
 * switchover), while the source computes it once over its frozen memory after the commit point ({@link #of}), off
 * the downtime. A page dirtied during pre-copy and not resent (a missed dirty bit) leaves its old CRC in the
 * destination's sum; a page never received leaves no term at all. Either way the sums differ.
 */
final class MemoryDigest {

    private static final int PAGE = GuestMemory.PAGE;
    /** Pages per task when the source hashes its memory on several threads. */
    private static final long PAGES_PER_TASK = 4096;

    private final int[] crcs;
    private final PageBitmap seen;
    private long sum;

    /** @param pages the guest memory's page count; every page starts as never received */
    MemoryDigest(final long pages) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(pages + " pages of guest memory");
        }
        this.crcs = new int[(int) pages];
        this.seen = new PageBitmap(pages, PAGE);
    }

    /** @return one page's term of the sum; a 64-bit finaliser (murmur3's) spreads index and CRC over all bits */
    static long mix(final long page, final int crc) {
        long z = page * 0x9E3779B97F4A7C15L + (crc & 0xFFFF_FFFFL);
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /** @return CRC32C of one page */
    static int crc(final MemorySegment page) {
        final CRC32C crc = new CRC32C();
        crc.update(page.asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * The digest of a whole memory image (the source's, frozen): pages hashed on every core, terms summed.
     *
     * @param memory a shared (not confined) segment whose size is a multiple of the page
     */
    static long of(final MemorySegment memory) {
        final long pages = memory.byteSize() / PAGE;
        return LongStream.range(0, (pages + PAGES_PER_TASK - 1) / PAGES_PER_TASK).parallel().map(t -> {
            long s = 0;
            for (long p = t * PAGES_PER_TASK; p < Math.min(pages, (t + 1) * PAGES_PER_TASK); p++) {
                s += mix(p, crc(memory.asSlice(p * PAGE, PAGE)));
            }
            return s;
        }).sum();
    }

    /**
     * Accounts pages just written into the destination's memory: each replaces its earlier term, if any.
     *
     * @param offset  guest offset of the first page (page aligned)
     * @param written the pages as written into guest memory
     */
    void received(final long offset, final MemorySegment written) {
        final long first = offset / PAGE;
        for (long i = 0; i < written.byteSize() / PAGE; i++) {
            final int page = (int) (first + i);
            final int c = crc(written.asSlice(i * PAGE, PAGE));
            if (seen.test(page)) {
                sum -= mix(page, crcs[page]);
            }
            seen.markPages(page, 1);
            crcs[page] = c;
            sum += mix(page, c);
        }
    }

    /** @return the digest of everything received so far (pages never received contribute nothing) */
    long value() {
        return sum;
    }
}
