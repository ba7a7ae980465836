package dev.tern.device;

import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The only way a device reaches guest memory: the DMA ranges the VMM mapped ({@code VFIO_IOMMU_MAP_DMA} /
 * vfio-user {@code VFIO_USER_DMA_MAP}), each backed by a shared-memory segment or by transport messages.
 *
 * <p>Every access is checked before any byte moves: an address outside the mappings is EFAULT, a write to a
 * read-only mapping EACCES, DMA the device may not initiate in its migration state EPERM, and any DMA while the
 * guest cleared Bus Master Enable ENODEV (see {@link DeviceGate}). The device gets a {@link DeviceException}, never
 * a JVM crash. Writes are recorded in the {@link DirtyLog} when logging is on.
 *
 * <p>Mapping changes (transport thread) publish a new sorted array; device threads read it without locks.
 */
public final class DmaSpace {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
            java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(
            java.nio.ByteOrder.LITTLE_ENDIAN);

    private final DeviceGate gate;
    private final DirtyLog dirtyLog = new DirtyLog();
    private volatile DmaMapping[] mappings = new DmaMapping[0];

    /** @param gate the device's gate, consulted on every access */
    public DmaSpace(final DeviceGate gate) {
        this.gate = gate;
    }

    /** @return the dirty log of this space's writes */
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    /** @return the current mappings, sorted by IOVA */
    public List<DmaMapping> mappings() {
        return List.of(mappings);
    }

    /**
     * Adds a mapping.
     *
     * @throws DeviceException EEXIST if it overlaps an existing mapping
     */
    public synchronized void map(final DmaMapping mapping) throws DeviceException {
        final DmaMapping[] old = mappings;
        final List<DmaMapping> next = new ArrayList<>(old.length + 1);
        for (final DmaMapping m : old) {
            if (m.range().overlaps(mapping.range())) {
                throw new DeviceException(Errno.EEXIST, "DMA range " + mapping.range() + " overlaps mapped "
                        + m.range());
            }
            next.add(m);
        }
        next.add(mapping);
        next.sort((a, b) -> Long.compare(a.range().iova(), b.range().iova()));
        mappings = next.toArray(new DmaMapping[0]);
    }

    /** Maps a memory segment at {@code iova} (convenience for {@link #map}). */
    public void mapMemory(final long iova, final MemorySegment segment, final boolean writable,
            final boolean peerToPeer) throws DeviceException {
        map(new DmaMapping(new DmaRange(iova, segment.byteSize()), new DmaMapping.Memory(segment), writable,
                peerToPeer));
    }

    /**
     * Removes every mapping inside {@code [iova, iova + length)}.
     *
     * @return the mappings removed
     * @throws DeviceException EINVAL if the range cuts through a mapping (partial unmap is not supported)
     */
    public synchronized List<DmaMapping> unmap(final long iova, final long length) throws DeviceException {
        final DmaRange range = DmaRange.checked(iova, length);
        final List<DmaMapping> keep = new ArrayList<>();
        final List<DmaMapping> removed = new ArrayList<>();
        for (final DmaMapping m : mappings) {
            if (!m.range().overlaps(range)) {
                keep.add(m);
            } else if (range.contains(m.range().iova(), m.range().length())) {
                removed.add(m);
            } else {
                throw new DeviceException(Errno.EINVAL, "unmap of " + range + " cuts mapping " + m.range());
            }
        }
        mappings = keep.toArray(new DmaMapping[0]);
        return removed;
    }

    /** Removes all mappings (device close or reset of the address space). */
    public synchronized void unmapAll() {
        mappings = new DmaMapping[0];
    }

    /** @return true if any mapped part of {@code [iova, iova + length)} is a peer-to-peer mapping */
    public boolean isPeerToPeer(final long iova, final long length) {
        for (final DmaMapping m : mappings) {
            if (m.peerToPeer() && m.range().iova() < iova + length && iova < m.range().end()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads guest memory at {@code iova} into all of {@code dst}.
     *
     * @throws DeviceException EFAULT unmapped, EPERM refused by the migration state
     */
    public void read(final long iova, final MemorySegment dst) throws DeviceException {
        access(iova, dst, false);
    }

    /**
     * Writes all of {@code src} to guest memory at {@code iova}, recording the pages in the dirty log.
     *
     * @throws DeviceException EFAULT unmapped, EACCES read-only, EPERM refused by the migration state
     */
    public void write(final long iova, final MemorySegment src) throws DeviceException {
        access(iova, src, true);
    }

    /** Reads {@code dst.remaining()} bytes and advances its position. */
    public void read(final long iova, final ByteBuffer dst) throws DeviceException {
        final int n = dst.remaining();
        access(iova, MemorySegment.ofBuffer(dst), false);
        dst.position(dst.position() + n);
    }

    /** Writes {@code src.remaining()} bytes and advances its position. */
    public void write(final long iova, final ByteBuffer src) throws DeviceException {
        final int n = src.remaining();
        access(iova, MemorySegment.ofBuffer(src), true);
        src.position(src.position() + n);
    }

    /** Reads a little-endian 64-bit value. */
    public long readLong(final long iova) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        access(iova, tmp, false);
        return tmp.get(LONG, 0);
    }

    /** Writes a little-endian 64-bit value. */
    public void writeLong(final long iova, final long value) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        tmp.set(LONG, 0, value);
        access(iova, tmp, true);
    }

    /** Reads a little-endian 32-bit value. */
    public int readInt(final long iova) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new int[1]);
        access(iova, tmp, false);
        return tmp.get(INT, 0);
    }

    /** Writes a little-endian 32-bit value. */
    public void writeInt(final long iova, final int value) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new int[1]);
        tmp.set(INT, 0, value);
        access(iova, tmp, true);
    }

    private void access(final long iova, final MemorySegment buf, final boolean write) throws DeviceException {
        final long len = buf.byteSize();
        if (len == 0) {
            return;
        }
        gate.checkBusMaster();
        if (iova < 0 || iova > Long.MAX_VALUE - len) {
            throw new DeviceException(Errno.EFAULT, "DMA at 0x" + Long.toHexString(iova) + " overflows");
        }
        final DmaMapping[] ms = mappings;
        final int first = find(ms, iova);
        if (first < 0) {
            throw unmapped(iova, len);
        }
        int last = first;
        while (true) {
            final DmaMapping m = ms[last];
            gate.checkDma(m.peerToPeer());
            if (write && !m.writable()) {
                throw new DeviceException(Errno.EACCES, "DMA write to read-only mapping " + m.range());
            }
            if (m.range().end() >= iova + len) {
                break;
            }
            last++;
            if (last >= ms.length || ms[last].range().iova() != m.range().end()) {
                throw unmapped(iova, len);
            }
        }
        long done = 0;
        try {
            for (int k = first; k <= last; k++) {
                final DmaMapping m = ms[k];
                final long at = iova + done;
                final long n = Math.min(len - done, m.range().end() - at);
                final long off = at - m.range().iova();
                switch (m.backing()) {
                    case DmaMapping.Memory mem -> {
                        if (write) {
                            MemorySegment.copy(buf, done, mem.segment(), off, n);
                        } else {
                            MemorySegment.copy(mem.segment(), off, buf, done, n);
                        }
                    }
                    case DmaMapping.Messages msg -> {
                        if (write) {
                            msg.channel().write(at, buf.asSlice(done, n));
                        } else {
                            msg.channel().read(at, buf.asSlice(done, n));
                        }
                    }
                }
                done += n;
            }
        } catch (final IllegalStateException e) {
            throw new DeviceException(Errno.EFAULT, "DMA mapping at 0x" + Long.toHexString(iova + done)
                    + " was released during the access", e);
        } finally {
            if (write && done > 0) {
                dirtyLog.record(iova, done);
            }
        }
    }

    /** @return the index of the mapping containing {@code iova}, or -1 */
    private static int find(final DmaMapping[] ms, final long iova) {
        int lo = 0;
        int hi = ms.length - 1;
        while (lo <= hi) {
            final int mid = (lo + hi) >>> 1;
            final DmaRange r = ms[mid].range();
            if (iova < r.iova()) {
                hi = mid - 1;
            } else if (iova >= r.end()) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    private static DeviceException unmapped(final long iova, final long len) {
        return new DeviceException(Errno.EFAULT, "DMA of " + len + " bytes at 0x" + Long.toHexString(iova)
                + " leaves the mapped ranges");
    }

    /** @return the mappings, one per line, for diagnostics */
    @Override
    public String toString() {
        return Arrays.toString(mappings);
    }
}
