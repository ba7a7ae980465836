package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.PageBitmap;
import dev.tern.device.Region;
import dev.tern.device.RegionHandler;
import dev.tern.device.RegionInfo;
import dev.tern.device.StateChecksum;
import dev.tern.sys.Errno;
import dev.tern.sys.PosixException;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * A device's large memory with dirty tracking: a memfd (lazily backed, so GiBs cost only what is touched) and a
 * {@link PageBitmap} of 4 KiB pages that {@link PagedSaveSource} sends from. Writes through {@link #write} and
 * {@link #window} are marked; a device writing {@link #segment()} directly marks with {@link #markDirty}.
 *
 * <p>Loads are staged in a second memfd (allocated on the first load, then kept) and swapped in on RESUMING→STOP in
 * O(1), so a failed load leaves the memory as it was. The swap is why the memory is never exposed for mmap: a
 * segment obtained from {@link #segment()} is valid until the next load; device threads are stopped then.
 */
public final class PagedMemory implements AutoCloseable {

    /** Page size of the tracking and of the stream. */
    public static final int PAGE = 4096;

    private final String name;
    private final long size;
    private final PageBitmap dirty;
    private volatile SharedMemory live;
    private SharedMemory spare;
    private PagedSaveSource saving;

    private PagedMemory(final String name, final long size) throws DeviceException {
        this.name = name;
        this.size = size;
        this.dirty = new PageBitmap(size / PAGE, PAGE);
        this.live = allocate();
    }

    /**
     * Creates a device's memory as a memfd, every page clean.
     *
     * @param name shown as the memfd's name
     * @param size bytes, a positive multiple of {@link #PAGE} up to 1 TiB
     * @return zero-filled memory
     * @throws DeviceException ENOMEM if the memfd cannot be created
     */
    public static PagedMemory create(final String name, final long size) throws DeviceException {
        if (size <= 0 || size % PAGE != 0 || size > 1L << 40) {
            throw new IllegalArgumentException("paged memory must be a positive multiple of 4096 up to 1 TiB: " + size);
        }
        return new PagedMemory(name, size);
    }

    private SharedMemory allocate() throws DeviceException {
        try {
            return SharedMemory.create(name, size);
        } catch (final PosixException e) {
            throw new DeviceException(Errno.ENOMEM, "cannot allocate " + size + " bytes of device memory: "
                    + e.getMessage(), e);
        }
    }

    /** {@return bytes} */
    public long size() {
        return size;
    }

    /** {@return pages} */
    public long pages() {
        return dirty.pages();
    }

    /** {@return the dirty pages (marked by writes, taken by the saving session)} */
    public PageBitmap dirty() {
        return dirty;
    }

    /** {@return the whole memory; writes through it are not tracked (see {@link #markDirty})} */
    public MemorySegment segment() {
        return live.segment();
    }

    /**
     * A view of part of the memory, for the device's own accesses that it tracks itself.
     *
     * @param offset first byte, from the start of the memory
     * @param length bytes, at least 0
     * @return bytes {@code [offset, offset + length)}; writes through it are not tracked
     * @throws DeviceException EINVAL if the range is outside the memory
     */
    public MemorySegment slice(final long offset, final long length) throws DeviceException {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new DeviceException(Errno.EINVAL, "memory range 0x" + Long.toHexString(offset) + "+0x"
                    + Long.toHexString(length) + " is outside 0x" + Long.toHexString(size));
        }
        return segment().asSlice(offset, length);
    }

    /**
     * Marks {@code [offset, offset + length)} written, after the device wrote it through {@link #segment()} or a
     * {@link #slice}.
     *
     * @param offset first byte written, from the start of the memory, at least 0
     * @param length bytes written; nothing is marked if it is 0 or less
     * @throws IndexOutOfBoundsException if a byte of the range lies past the memory
     */
    public void markDirty(final long offset, final long length) {
        dirty.mark(offset, length);
    }

    /**
     * A tracked write: copies {@code src} to {@code offset}, then marks the pages (after the copy, so a saving
     * session that took them during the copy takes them again).
     *
     * @param offset first byte to write, from the start of the memory
     * @param src    the bytes, all of them copied; the caller keeps it
     * @throws DeviceException EINVAL if {@code [offset, offset + src.byteSize())} is outside the memory (nothing is
     *                         written then)
     */
    public void write(final long offset, final MemorySegment src) throws DeviceException {
        MemorySegment.copy(src, 0, slice(offset, src.byteSize()), 0, src.byteSize());
        dirty.mark(offset, src.byteSize());
    }

    /**
     * A guest's window onto the memory.
     *
     * @param index the region index it is exposed as (vfio-pci: BAR0..5 = 0..5)
     * @param gate  the device's gate, which freezes the window while the device is stopped
     * @return a BAR of this memory's size whose accesses are loads and tracked stores, frozen while the device is
     *         stopped (a write then would change state after it was saved); trapped, never mmap-able
     */
    public Region window(final int index, final DeviceGate gate) {
        final RegionHandler handler = new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                final int n = dst.remaining();
                MemorySegment.ofBuffer(dst).copyFrom(segment().asSlice(offset, n));
                dst.position(dst.position() + n);
            }

            @Override
            public void write(final long offset, final ByteBuffer src) throws DeviceException {
                final int n = src.remaining();
                PagedMemory.this.write(offset, MemorySegment.ofBuffer(src));
                src.position(src.position() + n);
            }
        };
        return new Region(new RegionInfo(index, size, RegionInfo.FLAG_READ | RegionInfo.FLAG_WRITE), handler,
                Optional.empty(), gate, true);
    }

    /**
     * {@return {@link StateChecksum} of the memory followed by {@code registers}}
     *
     * @param registers the device's registers ({@link PagedDevice#saveRegisters()}), read, not kept
     */
    public long checksum(final byte[] registers) {
        return StateChecksum.of(live, ByteBuffer.wrap(registers)); // holes hashed as zeros, not faulted in
    }

    // ---- migration ----

    /**
     * {@return a new saving session (the previous one, if any, no longer counts for {@link #stopCopySize})}
     *
     * @param device the device owning this memory; the session takes its registers at stop-copy
     */
    public synchronized PagedSaveSource startSaving(final PagedDevice device) {
        saving = new PagedSaveSource(this, device);
        return saving;
    }

    /**
     * Starts a load (RESUMING) into fresh staging memory, swapped in when the load completes.
     *
     * @param device the device owning this memory; the sink hands it the stream's registers before the swap
     * @return a sink staging a load; the staging memory is faulted in now, before the state streams in during the
     *         downtime
     * @throws DeviceException ENOMEM if the staging memfd cannot be created; the errno of madvise(2)
     *                         {@code MADV_POPULATE_WRITE} (ENOMEM when the pages cannot be had) if it cannot be
     *                         faulted in
     */
    public LoadSink startLoading(final PagedDevice device) throws DeviceException {
        final SharedMemory staging = staging();
        try {
            staging.populate();
        } catch (final PosixException e) {
            throw new DeviceException(e.errno(), "cannot allocate staging memory: " + e.getMessage(), e);
        }
        return new PagedLoadSink(this, device, staging);
    }

    /**
     * {@return bytes a stop-copy would still carry: the open session's remainder, or a whole stream}
     *
     * @param registersSize bytes of the device's registers ({@link PagedDevice#registersSize()}), counted when no
     *                      session is open
     */
    public synchronized long stopCopySize(final int registersSize) {
        return saving != null ? saving.remainingBytes() : PagedSaveSource.fullStreamBytes(size, registersSize);
    }

    synchronized void sessionClosed(final PagedSaveSource source) {
        if (saving == source) {
            saving = null;
        }
    }

    /** Copies memory at {@code offset} into {@code dst}; pages never written stay unallocated. */
    void copyOut(final long offset, final MemorySegment dst) {
        live.copyOut(offset, dst);
    }

    /**
     * Appends {@code [offset, offset + length)} to {@code out} as views of the mapping, except the ranges never
     * written (holes of the memfd, found with lseek {@code SEEK_DATA}/{@code SEEK_HOLE}), which are appended as
     * zeros from the shared zero mapping: the kernel's copy out of a hole through this {@code MAP_SHARED} mapping
     * would allocate the page (the reason {@link #copyOut} preads). A range written while this runs is data or
     * hole as lseek saw it; the writer marks it dirty afterwards, so it is sent again.
     */
    void gather(final long offset, final long length, final Gather out) {
        live.visitRuns(offset, length, out.runs());
    }

    private synchronized SharedMemory staging() throws DeviceException {
        if (spare == null) {
            spare = allocate();
        }
        return spare;
    }

    /** Installs a validated load: the staged memory becomes the memory (O(1)); nothing in it is dirty. */
    synchronized void commit(final SharedMemory staged) {
        spare = live;
        live = staged;
        dirty.clearAll();
    }

    @Override
    public synchronized void close() {
        live.close();
        if (spare != null) {
            spare.close();
        }
    }
}
