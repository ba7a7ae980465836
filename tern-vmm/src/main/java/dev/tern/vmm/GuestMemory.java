package dev.tern.vmm;

import dev.tern.device.StateChecksum;
import dev.tern.sys.SharedMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

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
    private final AtomicLongArray dirty;

    private GuestMemory(final SharedMemory memory) {
        this.memory = memory;
        this.size = memory.size();
        this.dirty = new AtomicLongArray(words(pages()));
    }

    /**
     * @param size bytes, a multiple of {@link #PAGE}
     * @return zero-filled guest memory backed by a memfd named {@code name}
     */
    public static GuestMemory create(final String name, final long size) throws IOException {
        if (size <= 0 || size % PAGE != 0) {
            throw new IllegalArgumentException("guest memory size " + size + " is not a positive multiple of 4 KiB");
        }
        return new GuestMemory(SharedMemory.create(name, size));
    }

    /** Faults every page in now (a destination does this before the migration so loading never page-faults). */
    public void populate() throws IOException {
        memory.populate();
    }

    /** @return the memory as a segment (reads and writes through it are not tracked) */
    public MemorySegment segment() {
        return memory.segment();
    }

    /** @return the backing memfd, for DMA_MAP */
    public SharedMemory shared() {
        return memory;
    }

    /** @return the size in bytes */
    public long size() {
        return size;
    }

    /** @return the number of pages */
    public long pages() {
        return size / PAGE;
    }

    /** A tracked guest write: copies {@code src} to {@code offset} and marks the pages dirty. */
    public void write(final long offset, final MemorySegment src) {
        MemorySegment.copy(src, 0, memory.segment(), offset, src.byteSize());
        markDirty(offset, src.byteSize());
    }

    /** Marks {@code [offset, offset + length)} dirty. */
    public void markDirty(final long offset, final long length) {
        if (length <= 0) {
            return;
        }
        for (long p = offset / PAGE, last = (offset + length - 1) / PAGE; p <= last; p++) {
            final int w = (int) (p >>> 6);
            final long bit = 1L << (p & 63);
            if ((dirty.get(w) & bit) == 0) {
                dirty.getAndUpdate(w, v -> v | bit);
            }
        }
    }

    /** Marks every page dirty (the first pre-copy round sends everything). */
    public void markAllDirty() {
        for (int w = 0; w < dirty.length(); w++) {
            final long remaining = pages() - ((long) w << 6);
            dirty.set(w, remaining >= 64 ? -1L : (1L << remaining) - 1);
        }
    }

    /** ORs the dirty log into {@code bitmap} (one bit per page) and clears it: read-and-clear, like KVM's. */
    public void collectDirty(final long[] bitmap) {
        for (int w = 0; w < dirty.length(); w++) {
            if (dirty.get(w) != 0) {
                bitmap[w] |= dirty.getAndSet(w, 0);
            }
        }
    }

    /** @return a checksum of the whole memory, for verifying a migration ({@link StateChecksum}) */
    public long checksum() {
        return StateChecksum.of(memory.segment(), null);
    }

    /** @return the words of a bitmap with one bit per page */
    public static int words(final long pages) {
        return (int) ((pages + 63) >>> 6);
    }

    @Override
    public void close() {
        memory.close();
    }
}
