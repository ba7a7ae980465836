package dev.tern.device.migration;

import dev.tern.device.PageBitmap;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The saving session of a {@link PagedDevice} (records in {@link PagedRecord}). It sweeps the dirty pages of its
 * {@link PagedMemory} round and round: the session starts with every page marked, so the first sweep sends all of
 * them (the uAPI's {@code initial_bytes}); later reads send the pages the device dirtied since they were sent
 * ({@code dirty_bytes}); once the device is stopped in STOP_COPY the last dirty pages, the registers and END follow.
 *
 * <p>A page's bit is cleared <em>before</em> its bytes are copied, so a write racing the copy marks it again and it
 * is resent: the final image is exact once the device stops. Page bytes go straight from device memory into the
 * caller's buffer; a run of up to {@value #MAX_RUN} contiguous dirty pages is one record.
 */
public final class PagedSaveSource implements SaveSource {

    /** Longest run in one record, in pages (4 MiB). */
    static final int MAX_RUN = 1024;
    private static final int PAGE = PagedMemory.PAGE;

    private final PagedMemory memory;
    private final PagedDevice device;
    private final PageBitmap dirty;
    private final long pages;
    /** Next page of the sweep. */
    private long cursor;
    /** True until the first sweep (after the start or a re-initialisation) passed the last page. */
    private boolean firstSweep = true;
    private ByteBuffer header;
    private long runOffset;
    private long runRemaining;
    /** The record in flight is initial data (the CONFIG header is). */
    private boolean runIsInitial = true;
    private boolean configSent;
    private ByteBuffer trailer;
    private long pageBytesSent;
    private boolean reinitUnreported;

    PagedSaveSource(final PagedMemory memory, final PagedDevice device) {
        this.memory = memory;
        this.device = device;
        this.dirty = memory.dirty();
        this.pages = memory.pages();
        dirty.markAll();
    }

    /** {@return bytes of a whole stop-copy stream (after the engine header)} */
    static long fullStreamBytes(final long memoryBytes, final int registersSize) {
        final long runs = (memoryBytes / PAGE + MAX_RUN - 1) / MAX_RUN;
        return PagedRecord.HEADER * (3 + runs) + memoryBytes + registersSize;
    }

    @Override
    public int read(final ByteBuffer dst, final boolean stopCopy) {
        int n = 0;
        while (dst.hasRemaining()) {
            if (header != null && header.hasRemaining()) {
                n += put(header, dst);
            } else if (runRemaining > 0) {
                final int k = (int) Math.min(dst.remaining(), runRemaining);
                memory.copyOut(runOffset, MemorySegment.ofBuffer(dst).asSlice(0, k));
                dst.position(dst.position() + k);
                runOffset += k;
                runRemaining -= k;
                n += k;
            } else if (!configSent) {
                header = PagedRecord.header(PagedRecord.CONFIG, memory.size(), PAGE);
                configSent = true;
            } else if (trailer != null) {
                if (!trailer.hasRemaining()) {
                    break;
                }
                n += put(trailer, dst);
            } else if (nextRun()) {
                header = PagedRecord.header(PagedRecord.PAGES, runOffset, runRemaining);
                pageBytesSent += runRemaining;
            } else if (stopCopy) {
                trailer = trailer();
            } else {
                break;
            }
        }
        return n == 0 && trailer != null && !trailer.hasRemaining() ? -1 : n;
    }

    private ByteBuffer trailer() {
        final byte[] regs = device.saveRegisters();
        return ByteBuffer.allocate(2 * PagedRecord.HEADER + regs.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(PagedRecord.header(PagedRecord.REGS, regs.length, 0)).put(regs)
                .put(PagedRecord.header(PagedRecord.END, pageBytesSent, 0)).flip();
    }

    private static int put(final ByteBuffer src, final ByteBuffer dst) {
        final int k = Math.min(src.remaining(), dst.remaining());
        dst.put(dst.position(), src, src.position(), k);
        dst.position(dst.position() + k);
        src.position(src.position() + k);
        return k;
    }

    /** Takes the next run of the sweep. @return false if no page is pending now */
    private boolean nextRun() {
        PageBitmap.Run run = dirty.take(cursor, MAX_RUN);
        if (run == null) {
            firstSweep = false;
            run = dirty.take(0, MAX_RUN);
            if (run == null) {
                return false;
            }
        }
        runIsInitial = firstSweep;
        cursor = run.end();
        runOffset = run.first() * PAGE;
        runRemaining = run.pages() * PAGE;
        return true;
    }

    /** {@return pages of initial data not yet taken: those ahead of the first sweep, all still marked} */
    private long initialPages() {
        return firstSweep ? pages - cursor : 0;
    }

    /**
     * Re-initialises: every page becomes initial data again and nothing is dirty (PRECOPY_INFOv2 REINIT:
     * {@code initial_bytes} jumps, {@code dirty_bytes} restarts from 0), reported by the next {@link #precopyInfo}.
     * For a device whose state was renewed as a whole (a firmware or mode change); call it between reads.
     */
    public void reinit() {
        dirty.markAll();
        cursor = 0;
        firstSweep = true;
        reinitUnreported = true;
    }

    /** {@return page bytes sent so far (headers not counted)} */
    public long pageBytesSent() {
        return pageBytesSent;
    }

    @Override
    public PrecopyInfo precopyInfo() {
        final PrecopyInfo p = counts(reinitUnreported);
        reinitUnreported = false;
        return p;
    }

    private PrecopyInfo counts(final boolean reinit) {
        final long inFlight = runRemaining + (header != null ? header.remaining() : 0);
        final long initialBytes = initialPages() * PAGE + (configSent ? 0 : PagedRecord.HEADER)
                + (runIsInitial ? inFlight : 0);
        final long dirtyPages = Math.max(0, dirty.count() - initialPages());
        return new PrecopyInfo(initialBytes, dirtyPages * PAGE + (runIsInitial ? 0 : inFlight), reinit);
    }

    /** {@return estimated bytes still to come if the device stopped now} */
    long remainingBytes() {
        final PrecopyInfo p = counts(false);
        final long tail = trailer != null ? trailer.remaining() : 2L * PagedRecord.HEADER + device.registersSize();
        return p.initialBytes() + p.dirtyBytes() + tail;
    }

    @Override
    public void close() {
        memory.sessionClosed(this);
    }
}
