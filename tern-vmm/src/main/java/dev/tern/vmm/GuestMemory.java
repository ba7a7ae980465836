package dev.tern.vmm;

import dev.tern.device.PageBitmap;
import dev.tern.device.StateChecksum;
import dev.tern.sys.SharedMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A guest's RAM: a memfd (so a vfio-user server can map it for DMA, and in-process devices map the same segment),
 * plus a dirty log of the guest's own writes — the stand-in for KVM's dirty log of vCPU writes. Device DMA writes
 * are not seen here; they come from each device's DMA dirty logging (uAPI DMA_LOGGING_*).
 */
public final class GuestMemory implements AutoCloseable {

    /** Tracking granularity. */
    public static final int PAGE = 4096;

    private final SharedMemory memory;
    private final long size;
    private final PageBitmap dirty;

    private GuestMemory(final SharedMemory memory) {
        this.memory = memory;
        this.size = memory.size();
        this.dirty = new PageBitmap(pages(), PAGE);
    }

    /**
     * {@return zero-filled guest memory backed by a memfd named {@code name}}
     *
     * @param size bytes, a multiple of {@link #PAGE}
     * @param name the memfd's name, shown in {@code /proc/PID/fd}
     * @throws IOException if the memfd cannot be created or mapped
     */
    public static GuestMemory create(final String name, final long size) throws IOException {
        if (size <= 0 || size % PAGE != 0) {
            throw new IllegalArgumentException("guest memory size " + size + " is not a positive multiple of 4 KiB");
        }
        return new GuestMemory(SharedMemory.create(name, size));
    }

    /**
     * Faults every page in now (a destination does this before the migration so loading never page-faults).
     *
     * @throws IOException if madvise(2) fails
     */
    public void populate() throws IOException {
        memory.populate();
    }

    /** {@return the memory as a segment (reads and writes through it are not tracked)} */
    public MemorySegment segment() {
        return memory.segment();
    }

    /** {@return the backing memfd, for DMA_MAP} */
    public SharedMemory shared() {
        return memory;
    }

    /** {@return the size in bytes} */
    public long size() {
        return size;
    }

    /** {@return the number of pages} */
    public long pages() {
        return size / PAGE;
    }

    /**
     * A tracked guest write: copies {@code src} to {@code offset} and marks the pages dirty.
     *
     * @param offset the guest offset
     * @param src the bytes, all of them
     */
    public void write(final long offset, final MemorySegment src) {
        MemorySegment.copy(src, 0, memory.segment(), offset, src.byteSize());
        markDirty(offset, src.byteSize());
    }

    /**
     * Marks {@code [offset, offset + length)} dirty.
     *
     * @param offset the guest offset
     * @param length bytes; 0 or less marks nothing
     */
    public void markDirty(final long offset, final long length) {
        dirty.mark(offset, length);
    }

    /** Marks every page dirty (the first pre-copy round sends everything). */
    public void markAllDirty() {
        dirty.markAll();
    }

    /**
     * ORs the dirty log into {@code bitmap} (one bit per page) and clears it: read-and-clear, like KVM's.
     *
     * @param bitmap at least {@link #words} of the page count
     */
    public void collectDirty(final long[] bitmap) {
        dirty.collect(bitmap);
    }

    /** {@return a checksum of the whole memory, for verifying a migration ({@link StateChecksum})} */
    public long checksum() {
        return StateChecksum.of(memory, null); // holes hashed as zeros, not faulted in
    }

    /**
     * {@return the words of a bitmap with one bit per page}
     *
     * @param pages how many pages
     */
    public static int words(final long pages) {
        return PageBitmap.words(pages);
    }

    @Override
    public void close() {
        memory.close();
    }
}
