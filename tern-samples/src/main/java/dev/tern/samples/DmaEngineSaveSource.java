package dev.tern.samples;

import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.SaveSource;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * The dma-engine's saving session (format in {@link DmaEngineRecord}). Round 1 sends every page (the uAPI's
 * {@code initial_bytes}); after that, reads send the pages the device dirtied since they were sent
 * ({@code dirty_bytes}); once the device is stopped in STOP_COPY the last dirty pages, the registers and END follow.
 *
 * <p>A page's dirty bit is cleared <em>before</em> its bytes are copied, so a write racing the copy marks it again
 * and it is resent: the final image is exact once the device stops. Page bytes go straight from device memory into
 * the caller's buffer; runs of contiguous pages become one record.
 */
final class DmaEngineSaveSource implements SaveSource {

    /** Longest run of the initial round, in pages (4 MiB). */
    private static final int MAX_RUN = 1024;
    private static final int PAGE = PageTracker.PAGE;

    private final DmaEngine device;
    private final PageTracker tracker;
    private final Consumer<DmaEngineSaveSource> onClose;
    private final long[] initial;
    private long initialRemaining;
    private int initialCursor;
    private long taken;
    private int takenIndex;
    private int dirtyCursor;
    private ByteBuffer header;
    private long runOffset;
    private long runRemaining;
    private boolean runIsInitial;
    private boolean configSent;
    private ByteBuffer trailer;
    private long pageBytesSent;
    private boolean reinitDone;
    private boolean reinitUnreported;

    DmaEngineSaveSource(final DmaEngine device, final Consumer<DmaEngineSaveSource> onClose) {
        this.device = device;
        this.tracker = device.tracker();
        this.onClose = onClose;
        this.initial = new long[tracker.words()];
        for (int w = 0; w < initial.length; w++) {
            initial[w] = tracker.lastWordMask(w);
        }
        this.initialRemaining = tracker.pages();
        tracker.clearAll();
    }

    /** @return bytes of a whole stop-copy stream for {@code memoryBytes} of memory (after the engine header) */
    static long fullStreamBytes(final long memoryBytes) {
        final long runs = (memoryBytes / PAGE + MAX_RUN - 1) / MAX_RUN;
        return DmaEngineRecord.HEADER * (3 + runs) + memoryBytes + DmaEngine.REGS_SIZE;
    }

    /**
     * Copies {@code k} bytes of the current run into {@code dst}. Into native buffers it preads the memfd: device
     * memory is allocated lazily, and a read fault through the mapping would allocate and zero every page never
     * written, while pread returns zeros for them at memory speed.
     */
    private void copyRun(final MemorySegment mem, final ByteBuffer dst, final int k) {
        final MemorySegment out = MemorySegment.ofBuffer(dst).asSlice(0, k);
        if (dst.isDirect()) {
            try {
                device.memoryFile().readInto(runOffset, out);
                return;
            } catch (final dev.tern.sys.PosixException | IllegalStateException e) {
                // Fall through to the mapping: same bytes, only slower on untouched pages.
            }
        }
        MemorySegment.copy(mem, runOffset, out, 0, k);
    }

    @Override
    public int read(final ByteBuffer dst, final boolean stopCopy) {
        final MemorySegment mem = device.memory();
        int n = 0;
        while (dst.hasRemaining()) {
            if (header != null && header.hasRemaining()) {
                n += put(header, dst);
            } else if (runRemaining > 0) {
                final int k = (int) Math.min(dst.remaining(), runRemaining);
                copyRun(mem, dst, k);
                dst.position(dst.position() + k);
                runOffset += k;
                runRemaining -= k;
                n += k;
            } else if (!configSent) {
                header = DmaEngineRecord.header(DmaEngineRecord.CONFIG, device.memoryBytes(), PAGE);
                configSent = true;
            } else if (trailer != null) {
                if (!trailer.hasRemaining()) {
                    break;
                }
                n += put(trailer, dst);
            } else if (nextRun()) {
                header = DmaEngineRecord.header(DmaEngineRecord.PAGES, runOffset, runRemaining);
                pageBytesSent += runRemaining;
            } else if (stopCopy) {
                trailer = ByteBuffer.allocate(2 * DmaEngineRecord.HEADER + DmaEngine.REGS_SIZE)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .put(DmaEngineRecord.header(DmaEngineRecord.REGS, DmaEngine.REGS_SIZE, 0))
                        .put(device.saveRegisters())
                        .put(DmaEngineRecord.header(DmaEngineRecord.END, pageBytesSent, 0))
                        .flip();
            } else {
                break;
            }
        }
        return n == 0 && trailer != null && !trailer.hasRemaining() ? -1 : n;
    }

    /**
     * Re-initialises between records: every page becomes initial data again and nothing is dirty (PRECOPY_INFOv2
     * REINIT: {@code initial_bytes} jumps, {@code dirty_bytes} restarts from 0), reported by the next query.
     */
    private void reinit() {
        for (int w = 0; w < initial.length; w++) {
            initial[w] = tracker.lastWordMask(w);
        }
        initialRemaining = tracker.pages();
        initialCursor = 0;
        taken = 0;
        tracker.clearAll();
        reinitDone = true;
        reinitUnreported = true;
    }

    private static int put(final ByteBuffer src, final ByteBuffer dst) {
        final int k = Math.min(src.remaining(), dst.remaining());
        dst.put(dst.position(), src, src.position(), k);
        dst.position(dst.position() + k);
        src.position(src.position() + k);
        return k;
    }

    /** Picks the next run: initial pages first, then dirty ones. @return false if none is pending now */
    private boolean nextRun() {
        if (initialRemaining > 0) {
            while (initial[initialCursor] == 0) {
                initialCursor++;
            }
            final long first = ((long) initialCursor << 6) + Long.numberOfTrailingZeros(initial[initialCursor]);
            long page = first;
            while (page - first < MAX_RUN && page < tracker.pages()
                    && (initial[(int) (page >>> 6)] & (1L << page)) != 0) {
                page++;
            }
            for (long p = first; p < page; ) {
                final int w = (int) (p >>> 6);
                final long end = Math.min(page, ((long) w + 1) << 6);
                final long mask = (end - p == 64 ? -1L : ((1L << (end - p)) - 1)) << (p & 63);
                initial[w] &= ~mask;
                tracker.clear(w, mask);
                p = end;
            }
            initialRemaining -= page - first;
            return setRun(first, page - first, true);
        }
        if (taken == 0) {
            final int words = tracker.words();
            for (int i = 0; i < words && taken == 0; i++) {
                final int w = (dirtyCursor + i) % words;
                if (tracker.peek(w) != 0) {
                    taken = tracker.take(w);
                    takenIndex = w;
                    dirtyCursor = w;
                }
            }
            if (taken == 0) {
                return false;
            }
        }
        final int bit = Long.numberOfTrailingZeros(taken);
        final int ones = Long.numberOfTrailingZeros(~(taken >>> bit));
        taken &= ones == 64 ? 0 : ~(((1L << ones) - 1) << bit);
        return setRun(((long) takenIndex << 6) + bit, ones, false);
    }

    private boolean setRun(final long firstPage, final long pages, final boolean isInitial) {
        runOffset = firstPage * PAGE;
        runRemaining = pages * PAGE;
        runIsInitial = isInitial;
        return true;
    }

    /**
     * Answers, then — with {@link DmaEngineConfig#reinitAfterBytes()} — re-initialises once right after the first
     * answer that shows its initial data all read and at least that many page bytes sent: the next answer reports
     * REINIT. (Between answers, so the migration has seen the initial data complete once, sent INIT_DATA_SENT and
     * must now see it renewed.)
     */
    @Override
    public PrecopyInfo precopyInfo() {
        final PrecopyInfo p = counts(reinitUnreported);
        reinitUnreported = false;
        final long after = device.config().reinitAfterBytes();
        if (after > 0 && !reinitDone && pageBytesSent >= after && p.initialBytes() == 0 && runRemaining == 0
                && (header == null || !header.hasRemaining())) {
            reinit();
        }
        return p;
    }

    private PrecopyInfo counts(final boolean reinit) {
        final long inFlight = runRemaining + (header != null ? header.remaining() : 0);
        final long initialBytes = initialRemaining * PAGE + (configSent ? 0 : DmaEngineRecord.HEADER)
                + (runIsInitial ? inFlight : 0);
        final long dirtyBytes = (tracker.count() + Long.bitCount(taken)) * PAGE + (runIsInitial ? 0 : inFlight);
        return new PrecopyInfo(initialBytes, dirtyBytes, reinit);
    }

    /** @return estimated bytes still to come if the device stopped now */
    long remainingBytes() {
        final PrecopyInfo p = counts(false);
        final long tail = trailer != null ? trailer.remaining()
                : 2L * DmaEngineRecord.HEADER + DmaEngine.REGS_SIZE;
        return p.initialBytes() + p.dirtyBytes() + tail;
    }

    @Override
    public void close() {
        onClose.accept(this);
    }
}
