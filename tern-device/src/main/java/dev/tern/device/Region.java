package dev.tern.device;

import dev.tern.sys.Errno;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * One region as a VMM sees it: its {@link RegionInfo}, the {@link RegionHandler} behind it, and optionally shared
 * memory a VMM may map instead.
 *
 * <p>Every access is checked here, so handlers never see one outside the region or against its flags (EINVAL, as
 * vfio-pci returns for out-of-range region I/O). Regions whose reads or writes have side effects (device registers)
 * are <em>frozen</em> while the device is stopped (uAPI: STOP freezes internal state; such accesses get EBUSY);
 * config space is not, because a VMM reads and restores it around migration. BARs answer only while the PCI command
 * register enables their address space.
 */
public final class Region {

    private final RegionInfo info;
    private final RegionHandler handler;
    private final Optional<SharedMemory> backing;
    private final DeviceGate gate;
    private final boolean frozenWhenStopped;

    /**
     * A region whose checked accesses go to {@code handler}: a BAR only while the command register enables it, and,
     * if {@code frozenWhenStopped}, only while the device is not stopped.
     *
     * @param info index, size and flags (FLAG_MMAP requires a backing)
     * @param handler the register logic
     * @param backing shared memory for FLAG_MMAP regions
     * @param gate the device's gate
     * @param frozenWhenStopped true for registers whose accesses change device state
     */
    public Region(final RegionInfo info, final RegionHandler handler, final Optional<SharedMemory> backing,
            final DeviceGate gate, final boolean frozenWhenStopped) {
        if (info.mmappable() && backing.isEmpty()) {
            throw new IllegalArgumentException("region " + info.index() + " is mmap-able but has no backing");
        }
        backing.ifPresent(b -> {
            if (b.size() < info.size()) {
                throw new IllegalArgumentException("region " + info.index() + " backing smaller than the region");
            }
        });
        this.info = info;
        this.handler = handler;
        this.backing = backing;
        this.gate = gate;
        this.frozenWhenStopped = frozenWhenStopped;
    }

    /**
     * A region of registers: trapped access, frozen while stopped.
     *
     * @param index the region index (vfio-pci: BAR0..5 = 0..5)
     * @param size the region size in bytes
     * @param handler the register logic
     * @param gate the device's gate
     * @return the region
     */
    public static Region registers(final int index, final long size, final RegionHandler handler,
            final DeviceGate gate) {
        return new Region(new RegionInfo(index, size, RegionInfo.FLAG_READ | RegionInfo.FLAG_WRITE), handler,
                Optional.empty(), gate, true);
    }

    /**
     * A region backed by shared memory (a memfd): trapped accesses are plain loads and stores, and the VMM may map
     * the fd instead (FLAG_MMAP). Not frozen while stopped: the memory has no side effects.
     *
     * @param index the region index
     * @param backing the memory, whose size is the region's
     * @param writable false for a read-only region
     * @param gate the device's gate
     * @return the region
     */
    public static Region memory(final int index, final SharedMemory backing, final boolean writable,
            final DeviceGate gate) {
        final int flags = RegionInfo.FLAG_READ | (writable ? RegionInfo.FLAG_WRITE : 0) | RegionInfo.FLAG_MMAP;
        final MemorySegment seg = backing.segment();
        final RegionHandler h = new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                final int n = dst.remaining();
                MemorySegment.ofBuffer(dst).copyFrom(seg.asSlice(offset, n));
                dst.position(dst.position() + n);
            }

            @Override
            public void write(final long offset, final ByteBuffer src) {
                final int n = src.remaining();
                seg.asSlice(offset, n).copyFrom(MemorySegment.ofBuffer(src));
                src.position(src.position() + n);
            }
        };
        return new Region(new RegionInfo(index, seg.byteSize(), flags), h, Optional.of(backing), gate, false);
    }

    /**
     * An index the device does not implement (size 0, no flags): every access is EINVAL.
     *
     * @param index the unimplemented index
     * @param gate the device's gate
     * @return the region
     */
    public static Region absent(final int index, final DeviceGate gate) {
        final RegionHandler none = new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                throw new IllegalStateException("unreachable: Region refuses access to an absent region");
            }

            @Override
            public void write(final long offset, final ByteBuffer src) {
                throw new IllegalStateException("unreachable: Region refuses access to an absent region");
            }
        };
        return new Region(new RegionInfo(index, 0, 0), none, Optional.empty(), gate, false);
    }

    /**
     * A PCI config space region (index 7): read/write, never frozen (the VMM saves and restores it).
     *
     * @param config the device's configuration space
     * @param gate the device's gate
     * @return the region
     */
    public static Region config(final PciConfigSpace config, final DeviceGate gate) {
        return new Region(new RegionInfo(RegionInfo.PCI_CONFIG, PciConfigSpace.SIZE,
                RegionInfo.FLAG_READ | RegionInfo.FLAG_WRITE), config, Optional.empty(), gate, false);
    }

    /** {@return index, size and flags} */
    public RegionInfo info() {
        return info;
    }

    /** {@return the shared memory a VMM may map, if any} */
    public Optional<SharedMemory> backing() {
        return backing;
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset}.
     *
     * @param offset the offset within the region
     * @param dst receives the bytes, from its position to its limit
     * @throws DeviceException EINVAL outside the region or if it is not readable; EBUSY while frozen
     */
    public void read(final long offset, final ByteBuffer dst) throws DeviceException {
        check(offset, dst.remaining(), info.readable(), "read");
        if (!decoded()) {
            while (dst.hasRemaining()) {
                dst.put((byte) 0xFF);
            }
            return;
        }
        handler.read(offset, dst);
    }

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}.
     *
     * @param offset the offset within the region
     * @param src the bytes, from its position to its limit
     * @throws DeviceException EINVAL outside the region or if it is not writable; EBUSY while frozen
     */
    public void write(final long offset, final ByteBuffer src) throws DeviceException {
        check(offset, src.remaining(), info.writable(), "write");
        if (!decoded()) {
            src.position(src.limit());
            return;
        }
        handler.write(offset, src);
    }

    /**
     * A BAR whose address space the guest disabled in the command register is not claimed: reads see all ones and
     * writes vanish, without side effects, as a master-aborted PCI read or write (PCI 3.0 §6.2.2).
     */
    private boolean decoded() {
        return info.index() > RegionInfo.PCI_BAR5 || gate.decodes(info.index());
    }

    private void check(final long offset, final int length, final boolean allowed, final String what)
            throws DeviceException {
        if (!allowed) {
            throw new DeviceException(Errno.EINVAL, "region " + info.index() + " does not allow " + what);
        }
        if (offset < 0 || length <= 0 || offset > info.size() - length) {
            throw new DeviceException(Errno.EINVAL, what + " of " + length + " bytes at 0x" + Long.toHexString(offset)
                    + " is outside region " + info.index() + " (size 0x" + Long.toHexString(info.size()) + ")");
        }
        if (frozenWhenStopped) {
            gate.checkStateChange();
        }
    }
}
