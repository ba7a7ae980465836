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
 * caller's buffer ({@link #read(ByteBuffer, boolean)}) or leave as views of it ({@link #read(Gather, int, boolean)});
 * a run of up to {@value #MAX_RUN} contiguous dirty pages is one record.
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
    /** The header of the record in flight (rewritten for each record); empty when none is. */
    private final ByteBuffer header = ByteBuffer.allocate(PagedRecord.HEADER).order(ByteOrder.LITTLE_ENDIAN).limit(0);
    private long runOffset;
    private long runRemaining;
    /** The record in flight is initial data (the CONFIG header is). */
    private boolean runIsInitial = true;
    private boolean configSent;
    private ByteBuffer trailer;
    /** The trailer's memory, whole (its views are taken by position). */
    private MemorySegment trailerSegment;
    private final CopySink copy = new CopySink();
    private final ViewSink views = new ViewSink();
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
        copy.dst = dst;
        try {
            return pump(copy, stopCopy);
        } finally {
            copy.dst = null;
        }
    }

    /**
     * Hands out the same bytes as {@link #read(ByteBuffer, boolean)} as views: page runs of the device memory's
     * mapping, except ranges never written (holes of its memfd, {@link PagedMemory#gather}), which come from the
     * shared zero mapping, so a drain allocates no page; the trailer as a view of its buffer; the 24-byte record
     * headers staged in {@code out} (this source rewrites its header buffer for the next record). A run's pages are
     * taken from the dirty map before any view of them is handed out (see the class documentation).
     */
    @Override
    public int read(final Gather out, final int max, final boolean stopCopy) {
        views.out = out;
        views.left = max;
        try {
            return pump(views, stopCopy);
        } finally {
            views.out = null;
        }
    }

    /** The one walk of the stream's records, whichever way the bytes leave. */
    private int pump(final Sink sink, final boolean stopCopy) {
        int n = 0;
        while (sink.room() > 0) {
            if (header.hasRemaining()) {
                n += sink.bytes(header);
            } else if (runRemaining > 0) {
                final int k = (int) Math.min(sink.room(), runRemaining);
                sink.memory(runOffset, k);
                runOffset += k;
                runRemaining -= k;
                n += k;
            } else if (!configSent) {
                PagedRecord.header(header, PagedRecord.CONFIG, memory.size(), PAGE);
                configSent = true;
            } else if (trailer != null) {
                if (!trailer.hasRemaining()) {
                    break;
                }
                n += sink.bytes(trailer);
            } else if (nextRun()) {
                PagedRecord.header(header, PagedRecord.PAGES, runOffset, runRemaining);
                pageBytesSent += runRemaining;
            } else if (stopCopy) {
                trailer = trailer();
            } else {
                break;
            }
        }
        return n == 0 && trailer != null && !trailer.hasRemaining() ? -1 : n;
    }

    /** Where {@link #pump} puts bytes. */
    private interface Sink {
        /** {@return bytes still wanted} */
        int room();

        /** Takes as much of {@code src} as there is room for. @return bytes taken */
        int bytes(ByteBuffer src);

        /** Takes {@code k} bytes of device memory at {@code offset}. */
        void memory(long offset, int k);
    }

    /** Copies into the caller's buffer. */
    private final class CopySink implements Sink {
        private ByteBuffer dst;

        @Override
        public int room() {
            return dst.remaining();
        }

        @Override
        public int bytes(final ByteBuffer src) {
            final int k = Math.min(src.remaining(), dst.remaining());
            dst.put(dst.position(), src, src.position(), k).position(dst.position() + k);
            src.position(src.position() + k);
            return k;
        }

        @Override
        public void memory(final long offset, final int k) {
            memory.copyOut(offset, MemorySegment.ofBuffer(dst).asSlice(0, k));
            dst.position(dst.position() + k);
        }
    }

    /** Appends views to a {@link Gather}. */
    private final class ViewSink implements Sink {
        private Gather out;
        private int left;

        @Override
        public int room() {
            return left;
        }

        @Override
        public int bytes(final ByteBuffer src) {
            final int k = Math.min(src.remaining(), left);
            if (src == trailer) {
                out.add(trailerSegment, src.position(), k); // written once, never changed: a view
            } else {
                out.stage(src.array(), src.arrayOffset() + src.position(), k);
            }
            src.position(src.position() + k);
            left -= k;
            return k;
        }

        @Override
        public void memory(final long offset, final int k) {
            memory.gather(offset, k, out);
            left -= k;
        }
    }

    private ByteBuffer trailer() {
        final byte[] regs = device.saveRegisters();
        final ByteBuffer t = ByteBuffer.allocateDirect(2 * PagedRecord.HEADER + regs.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        t.put(PagedRecord.header(PagedRecord.REGS, regs.length, 0)).put(regs)
                .put(PagedRecord.header(PagedRecord.END, pageBytesSent, 0)).flip();
        trailerSegment = MemorySegment.ofBuffer(t);
        return t;
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
        final long inFlight = runRemaining + header.remaining();
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
