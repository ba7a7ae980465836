package dev.tern.device;

import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
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
 * <p>Mapping changes (transport thread) go into an {@link IovaMap}; device threads look up without locks, in
 * O(log n) per mapping an access touches.
 */
public final class DmaSpace {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
            java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(
            java.nio.ByteOrder.LITTLE_ENDIAN);

    private final DeviceGate gate;
    private final DirtyLog dirtyLog = new DirtyLog();
    private final IovaMap<DmaMapping> mappings = new IovaMap<>();

    /**
     * An empty DMA space: no mapping until the VMM sends DMA_MAP, and no access unless the gate allows it (Bus Master
     * Enable, migration state).
     *
     * @param gate the device's gate, consulted on every access
     */
    public DmaSpace(final DeviceGate gate) {
        this.gate = gate;
    }

    /** {@return the dirty log of this space's writes} */
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    /** {@return the current mappings, sorted by IOVA} */
    public List<DmaMapping> mappings() {
        return mappings.entries().stream().map(IovaMap.Entry::value).toList();
    }

    /**
     * Adds a mapping.
     *
     * @param mapping the range and what backs it (vfio-user DMA_MAP: an fd, or nothing for message-based access)
     * @throws DeviceException EEXIST if it overlaps an existing mapping
     */
    public void map(final DmaMapping mapping) throws DeviceException {
        final IovaMap.Entry<DmaMapping> clash = mappings.add(mapping.range(), mapping);
        if (clash != null) {
            throw new DeviceException(Errno.EEXIST, "DMA range " + mapping.range() + " overlaps mapped "
                    + clash.range());
        }
    }

    /**
     * Maps a memory segment at {@code iova} (convenience for {@link #map}).
     *
     * @param iova where the segment starts in IOVA space
     * @param segment the memory, whose size is the mapping's length
     * @param writable false for a read-only mapping (writes are EACCES)
     * @param peerToPeer true if the memory is another device's (P2P DMA, refused in the *_P2P states)
     * @throws DeviceException EEXIST if it overlaps an existing mapping
     */
    public void mapMemory(final long iova, final MemorySegment segment, final boolean writable,
            final boolean peerToPeer) throws DeviceException {
        map(new DmaMapping(new DmaRange(iova, segment.byteSize()), new DmaMapping.Memory(segment), writable,
                peerToPeer));
    }

    /**
     * Removes every mapping inside {@code [iova, iova + length)}.
     *
     * @param iova the start of the range
     * @param length the range's length
     * @return the mappings removed
     * @throws DeviceException EINVAL if the range cuts through a mapping (partial unmap is not supported)
     */
    public List<DmaMapping> unmap(final long iova, final long length) throws DeviceException {
        final DmaRange range = DmaRange.checked(iova, length);
        final List<IovaMap.Entry<DmaMapping>> removed = mappings.removeWithin(range, false);
        if (removed == null) {
            throw new DeviceException(Errno.EINVAL, "unmap of " + range + " cuts a mapping");
        }
        return removed.stream().map(IovaMap.Entry::value).toList();
    }

    /** Removes all mappings (device close or reset of the address space). */
    public void unmapAll() {
        mappings.clear();
    }

    /**
     * {@return true if any mapped part of {@code [iova, iova + length)} is a peer-to-peer mapping}
     *
     * @param iova the start of the range
     * @param length the range's length
     */
    public boolean isPeerToPeer(final long iova, final long length) {
        if (length <= 0 || iova < 0 || iova > Long.MAX_VALUE - length) {
            return false;
        }
        return mappings.overlapping(new DmaRange(iova, length)).stream().anyMatch(e -> e.value().peerToPeer());
    }

    /**
     * Reads guest memory at {@code iova} into all of {@code dst}.
     *
     * @param iova the guest address
     * @param dst receives the bytes, all of it
     * @throws DeviceException EFAULT unmapped, EPERM refused by the migration state
     */
    public void read(final long iova, final MemorySegment dst) throws DeviceException {
        access(iova, dst, false);
    }

    /**
     * Writes all of {@code src} to guest memory at {@code iova}, recording the pages in the dirty log.
     *
     * @param iova the guest address
     * @param src the bytes, all of it
     * @throws DeviceException EFAULT unmapped, EACCES read-only, EPERM refused by the migration state
     */
    public void write(final long iova, final MemorySegment src) throws DeviceException {
        access(iova, src, true);
    }

    /**
     * Reads {@code dst.remaining()} bytes and advances its position.
     *
     * @param iova the guest address
     * @param dst receives the bytes, from its position to its limit
     * @throws DeviceException as {@link #read(long, MemorySegment)}
     */
    public void read(final long iova, final ByteBuffer dst) throws DeviceException {
        final int n = dst.remaining();
        access(iova, MemorySegment.ofBuffer(dst), false);
        dst.position(dst.position() + n);
    }

    /**
     * Writes {@code src.remaining()} bytes and advances its position.
     *
     * @param iova the guest address
     * @param src the bytes, from its position to its limit
     * @throws DeviceException as {@link #write(long, MemorySegment)}
     */
    public void write(final long iova, final ByteBuffer src) throws DeviceException {
        final int n = src.remaining();
        access(iova, MemorySegment.ofBuffer(src), true);
        src.position(src.position() + n);
    }

    /**
     * Reads a little-endian 64-bit value.
     *
     * @param iova the guest address (no alignment required)
     * @return the value
     * @throws DeviceException as {@link #read(long, MemorySegment)}
     */
    public long readLong(final long iova) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        access(iova, tmp, false);
        return tmp.get(LONG, 0);
    }

    /**
     * Writes a little-endian 64-bit value.
     *
     * @param iova the guest address (no alignment required)
     * @param value the value
     * @throws DeviceException as {@link #write(long, MemorySegment)}
     */
    public void writeLong(final long iova, final long value) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        tmp.set(LONG, 0, value);
        access(iova, tmp, true);
    }

    /**
     * Reads a little-endian 32-bit value.
     *
     * @param iova the guest address (no alignment required)
     * @return the value
     * @throws DeviceException as {@link #read(long, MemorySegment)}
     */
    public int readInt(final long iova) throws DeviceException {
        final MemorySegment tmp = MemorySegment.ofArray(new int[1]);
        access(iova, tmp, false);
        return tmp.get(INT, 0);
    }

    /**
     * Writes a little-endian 32-bit value.
     *
     * @param iova the guest address (no alignment required)
     * @param value the value
     * @throws DeviceException as {@link #write(long, MemorySegment)}
     */
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
        final IovaMap.Entry<DmaMapping> first = mappings.containing(iova);
        if (first == null) {
            throw unmapped(iova, len);
        }
        for (IovaMap.Entry<DmaMapping> e = first; ; e = mappings.adjacent(e)) {
            if (e == null) {
                throw unmapped(iova, len);
            }
            final DmaMapping m = e.value();
            check(m, write);
            if (m.range().end() >= iova + len) {
                break;
            }
        }
        long done = 0;
        try {
            for (IovaMap.Entry<DmaMapping> e = first; done < len; e = mappings.adjacent(e)) {
                if (e == null) {
                    throw new IllegalStateException("unmapped during the access");
                }
                final DmaMapping m = e.value();
                if (e != first) {
                    check(m, write); // a mapping changed since the first pass is checked again
                }
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

    private void check(final DmaMapping m, final boolean write) throws DeviceException {
        gate.checkDma(m.peerToPeer());
        if (write && !m.writable()) {
            throw new DeviceException(Errno.EACCES, "DMA write to read-only mapping " + m.range());
        }
    }

    private static DeviceException unmapped(final long iova, final long len) {
        return new DeviceException(Errno.EFAULT, "DMA of " + len + " bytes at 0x" + Long.toHexString(iova)
                + " leaves the mapped ranges");
    }

    /** @return the mappings, one per line, for diagnostics */
    @Override
    public String toString() {
        return mappings.toString();
    }
}
