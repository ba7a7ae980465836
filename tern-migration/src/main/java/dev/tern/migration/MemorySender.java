package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.PageBitmap;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Sends guest memory in rounds: each round collects the guest's own dirty log and every device's DMA dirty report
 * (read-and-clear, uAPI DMA_LOGGING_REPORT) into one bitmap and streams the dirty page runs.
 *
 * <pre>  MEMORY_PAGES payload: u64 guest offset | page bytes (a run of contiguous dirty pages)</pre>
 */
final class MemorySender {

    private final GuestMemory memory;
    private final List<MigratingDevice> loggingDevices;
    private final RecordWriter writer;
    private final int channel;
    private final int maxRun;
    private final long[] bitmap;
    /** The pages of {@link #bitmap}, taken run by run. */
    private final PageBitmap pending;
    private final ByteBuffer header = ByteBuffer.allocateDirect(8);
    /**
     * Pages are copied here before they are checksummed and sent: the guest (and device DMA) keep writing live
     * memory, and a record's CRC must cover exactly the bytes on the wire. A page written after the copy is
     * dirty again and goes in a later round.
     */
    private final ByteBuffer bounce;
    private long lastDirtyPages;

    MemorySender(final GuestMemory memory, final List<MigratingDevice> loggingDevices, final RecordWriter writer,
            final int channel, final int chunkBytes) {
        this.memory = memory;
        this.loggingDevices = List.copyOf(loggingDevices);
        this.writer = writer;
        this.channel = channel;
        this.maxRun = Math.max(GuestMemory.PAGE, chunkBytes / GuestMemory.PAGE * GuestMemory.PAGE);
        this.bitmap = new long[GuestMemory.words(memory.pages())];
        this.pending = new PageBitmap(memory.pages(), GuestMemory.PAGE);
        this.bounce = ByteBuffer.allocateDirect(maxRun);
    }

    /** Collects the dirty pages of guest writes and device DMA and sends them; returns the bytes sent. */
    long sendDirty() throws IOException, DeviceException {
        java.util.Arrays.fill(bitmap, 0);
        memory.collectDirty(bitmap);
        for (final MigratingDevice d : loggingDevices) {
            d.target().reportDirty(0, memory.size(), GuestMemory.PAGE, bitmap);
        }
        pending.markFrom(bitmap);
        long sent = 0;
        long dirtyPages = 0;
        PageBitmap.Run run;
        for (long page = 0; (run = pending.take(page, maxRun / GuestMemory.PAGE)) != null; page = run.end()) {
            final long offset = run.first() * GuestMemory.PAGE;
            final long length = run.pages() * GuestMemory.PAGE;
            header.clear().putLong(offset).flip();
            bounce.clear().limit((int) length);
            memory.shared().copyOut(offset, MemorySegment.ofBuffer(bounce)); // untouched pages stay unallocated
            writer.write(RecordKind.MEMORY_PAGES, channel, header, bounce);
            sent += length;
            dirtyPages += run.pages();
        }
        lastDirtyPages = dirtyPages;
        return sent;
    }

    /** @return the dirty pages the last {@link #sendDirty()} found */
    long lastDirtyPages() {
        return lastDirtyPages;
    }

    /** Marks the end of guest memory. */
    void end() throws IOException {
        writer.write(RecordKind.MEMORY_END, channel);
    }
}
