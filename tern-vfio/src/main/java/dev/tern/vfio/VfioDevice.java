package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.sys.Ioctl;
import dev.tern.sys.Layouts;
import dev.tern.sys.Posix;
import dev.tern.sys.PosixMemory;
import dev.tern.sys.PosixException;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A kernel VFIO device opened the group/container way: container, group attached and type1v2 set, the device's fd.
 * Closing closes all three. The region, IRQ and feature calls are the device-fd ioctls of {@code vfio.h}.
 */
public final class VfioDevice implements AutoCloseable {

    /** Largest capability chain Tern reads; the kernel asks for more with argsz when it does not fit. */
    private static final int REGION_INFO_MAX = 4096;
    /** Longest capability chain walked (a loop in {@code next} must not hang us). */
    private static final int MAX_CAPS = 64;

    private final VfioAddress address;
    private final VfioContainer container;
    private final VfioGroup group;
    private final Fd fd;

    private VfioDevice(final VfioAddress address, final VfioContainer container, final VfioGroup group,
            final Fd fd) {
        this.address = address;
        this.container = container;
        this.group = group;
        this.fd = fd;
    }

    /**
     * Opens the container and the device's group under {@code devVfio}, attaches them, sets type1v2, and gets the
     * device fd. Everything opened is closed again on failure.
     *
     * @param address the device as found in sysfs ({@link VfioLocator})
     * @param devVfio where the VFIO nodes are ({@code /dev/vfio})
     * @return the open device, owning container, group and device fd
     * @throws DeviceException with a message a person can act on (node missing, group not viable or in use, permission)
     */
    public static VfioDevice open(final VfioAddress address, final Path devVfio) throws DeviceException {
        final VfioContainer container = VfioContainer.open(devVfio);
        VfioGroup group = null;
        try {
            group = VfioGroup.open(devVfio, address.group());
            group.attach(container);
            container.setIommu();
            return new VfioDevice(address, container, group, group.device(address.name()));
        } catch (final DeviceException | RuntimeException e) {
            if (group != null) {
                group.close();
            }
            container.close();
            throw e;
        }
    }

    /** {@return where the device was found} */
    public VfioAddress address() {
        return address;
    }

    /** {@return the container, for {@code VFIO_IOMMU_MAP_DMA} of guest memory} */
    public VfioContainer container() {
        return container;
    }

    /**
     * {@code VFIO_DEVICE_GET_INFO}: {flags, num_regions, num_irqs}.
     *
     * @return {@code {flags, num_regions, num_irqs}}
     * @throws DeviceException with the kernel's errno
     */
    public int[] info() throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(VfioLayouts.DEVICE_INFO.byteSize() + 8, 8);
            s.set(ValueLayout.JAVA_INT, 0, (int) s.byteSize());
            Calls.ioctl(fd.value(), Vfio.DEVICE_GET_INFO, s, "VFIO_DEVICE_GET_INFO");
            return new int[] {s.get(ValueLayout.JAVA_INT, VfioLayouts.DEVICE_INFO_FLAGS),
                s.get(ValueLayout.JAVA_INT, VfioLayouts.DEVICE_INFO_NUM_REGIONS),
                s.get(ValueLayout.JAVA_INT, VfioLayouts.DEVICE_INFO_NUM_IRQS)};
        }
    }

    /**
     * {@code VFIO_DEVICE_GET_REGION_INFO} with its capability chain (TYPE and SPARSE_MMAP decoded).
     *
     * @param index the region index
     * @return the region's size, offset, flags and decoded capabilities
     * @throws DeviceException with the kernel's errno (EINVAL for an index the device lacks)
     */
    public KernelRegion region(final int index) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(REGION_INFO_MAX, 8);
            s.set(ValueLayout.JAVA_INT, 0, REGION_INFO_MAX);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_INDEX, index);
            Calls.ioctl(fd.value(), Vfio.DEVICE_GET_REGION_INFO, s, "VFIO_DEVICE_GET_REGION_INFO(" + index + ")");
            return RegionCaps.decode(s, index, MAX_CAPS);
        }
    }

    /**
     * {@code VFIO_DEVICE_GET_IRQ_INFO}: {flags, count}.
     *
     * @param index the IRQ index
     * @return {@code {flags, count}}
     * @throws DeviceException with the kernel's errno (EINVAL for an index the device lacks)
     */
    public int[] irq(final int index) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(VfioLayouts.IRQ_INFO);
            s.set(ValueLayout.JAVA_INT, 0, (int) VfioLayouts.IRQ_INFO.byteSize());
            s.set(ValueLayout.JAVA_INT, VfioLayouts.IRQ_INFO_INDEX, index);
            Calls.ioctl(fd.value(), Vfio.DEVICE_GET_IRQ_INFO, s, "VFIO_DEVICE_GET_IRQ_INFO(" + index + ")");
            return new int[] {s.get(ValueLayout.JAVA_INT, VfioLayouts.IRQ_INFO_FLAGS),
                s.get(ValueLayout.JAVA_INT, VfioLayouts.IRQ_INFO_COUNT)};
        }
    }

    /**
     * {@code VFIO_DEVICE_SET_IRQS} ACTION_TRIGGER: signals vectors {@code start..} of IRQ {@code index} to the
     * given eventfds (-1 unassigns one); an empty array with DATA_NONE disables the index.
     *
     * @param index the IRQ index
     * @param start the first vector
     * @param eventfds one eventfd per vector from {@code start}, -1 to unassign; empty to disable the index
     * @throws DeviceException with the kernel's errno
     */
    public void setIrqEventfds(final int index, final int start, final int[] eventfds) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final long size = VfioLayouts.IRQ_SET.byteSize() + 4L * eventfds.length;
            final MemorySegment s = arena.allocate(size, 8);
            s.set(ValueLayout.JAVA_INT, 0, (int) size);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.IRQ_SET_FLAGS, Vfio.IRQ_SET_ACTION_TRIGGER
                    | (eventfds.length == 0 ? Vfio.IRQ_SET_DATA_NONE : Vfio.IRQ_SET_DATA_EVENTFD));
            s.set(ValueLayout.JAVA_INT, VfioLayouts.IRQ_SET_INDEX, index);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.IRQ_SET_START, start);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.IRQ_SET_COUNT, eventfds.length);
            for (int i = 0; i < eventfds.length; i++) {
                s.set(ValueLayout.JAVA_INT, VfioLayouts.IRQ_SET.byteSize() + 4L * i, eventfds[i]);
            }
            Calls.ioctl(fd.value(), Vfio.DEVICE_SET_IRQS, s, "VFIO_DEVICE_SET_IRQS(index " + index + ")");
        }
    }

    /**
     * {@code VFIO_DEVICE_RESET}.
     *
     * @throws DeviceException with the kernel's errno (e.g. ENOTTY for a device without reset)
     */
    public void reset() throws DeviceException {
        Calls.ioctl(fd.value(), Vfio.DEVICE_RESET, 0, "VFIO_DEVICE_RESET");
    }

    /**
     * Reads {@code length} bytes of region {@code r} at {@code offset} (pread on the device fd).
     *
     * @param r the region
     * @param offset the offset within the region
     * @param length how many bytes
     * @return the bytes read
     * @throws DeviceException EINVAL outside the region, or the kernel's errno
     */
    public byte[] read(final KernelRegion r, final long offset, final int length) throws DeviceException {
        checkRange(r, offset, length);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment buf = arena.allocate(Math.max(1, length));
            final long n = Posix.pread(fd.value(), buf, length, r.offset() + offset);
            if (n != length) {
                throw new DeviceException(Errno.EIO, "region " + r.index() + ": short read " + n + " of " + length);
            }
            return buf.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
        } catch (final PosixException e) {
            throw Calls.failed("read of region " + r.index() + " at 0x" + Long.toHexString(offset), e);
        }
    }

    /**
     * Writes {@code data} to region {@code r} at {@code offset} (pwrite on the device fd).
     *
     * @param r the region
     * @param offset the offset within the region
     * @param data the bytes to write
     * @throws DeviceException EINVAL outside the region, or the kernel's errno
     */
    public void write(final KernelRegion r, final long offset, final byte[] data) throws DeviceException {
        checkRange(r, offset, data.length);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment buf = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            final long n = Ioctl.pwrite(fd.value(), buf, data.length, r.offset() + offset);
            if (n != data.length) {
                throw new DeviceException(Errno.EIO, "region " + r.index() + ": short write " + n);
            }
        } catch (final PosixException e) {
            throw Calls.failed("write of region " + r.index() + " at 0x" + Long.toHexString(offset), e);
        }
    }

    /**
     * Maps {@code length} bytes of an MMAP-flagged region at {@code offset}; unmap with {@link PosixMemory#munmap}.
     *
     * @param r the region, flagged MMAP
     * @param offset the offset within the region, page-aligned
     * @param length how many bytes
     * @return the mapping
     * @throws DeviceException EINVAL for a region without MMAP or outside it, or the kernel's errno
     */
    public MemorySegment mmap(final KernelRegion r, final long offset, final long length) throws DeviceException {
        if ((r.flags() & Vfio.REGION_INFO_FLAG_MMAP) == 0) {
            throw new DeviceException(Errno.EINVAL, "region " + r.index() + " is not mappable");
        }
        checkRange(r, offset, length);
        try {
            final int prot = Layouts.PROT_READ | ((r.flags() & Vfio.REGION_INFO_FLAG_WRITE) != 0
                    ? Layouts.PROT_WRITE : 0);
            return PosixMemory.mmap(length, prot, Layouts.MAP_SHARED, fd.value(), r.offset() + offset)
                    .reinterpret(length);
        } catch (final PosixException e) {
            throw Calls.failed("mmap of region " + r.index(), e);
        }
    }

    /**
     * {@code VFIO_DEVICE_FEATURE}: {@code flags} (feature index | GET/SET/PROBE) with {@code payload} copied in
     * after the 8-byte header and, for GET, the kernel's answer copied back into it.
     *
     * @param flags the feature index or-ed with {@link dev.tern.vfio.uapi.Vfio#FEATURE_GET}, {@code SET} or {@code
     *     PROBE}
     * @param payload the feature's data, in and (for GET) out
     * @param what the feature's name, for the error message
     * @throws DeviceException with the kernel's errno
     */
    public void feature(final int flags, final MemorySegment payload, final String what) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final long size = VfioLayouts.FEATURE_DATA + payload.byteSize();
            final MemorySegment s = arena.allocate(size, 8);
            s.set(ValueLayout.JAVA_INT, 0, (int) size);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.FEATURE_FLAGS, flags);
            MemorySegment.copy(payload, 0, s, VfioLayouts.FEATURE_DATA, payload.byteSize());
            Calls.ioctl(fd.value(), Vfio.DEVICE_FEATURE, s, what);
            MemorySegment.copy(s, VfioLayouts.FEATURE_DATA, payload, 0, payload.byteSize());
        }
    }

    /**
     * {@return true if {@code VFIO_DEVICE_FEATURE} PROBE of {@code feature} with {@code op} (GET/SET) succeeds}
     *
     * @param feature the feature index
     * @param op {@link dev.tern.vfio.uapi.Vfio#FEATURE_GET} or {@link dev.tern.vfio.uapi.Vfio#FEATURE_SET}
     */
    public boolean probe(final int feature, final int op) {
        try {
            feature(feature | op | Vfio.FEATURE_PROBE, MemorySegment.ofArray(new byte[0]), "probe");
            return true;
        } catch (final DeviceException e) {
            return false;
        }
    }

    /** Closes the device, then the group, then the container. */
    @Override
    public void close() {
        fd.close();
        group.close();
        container.close();
    }

    private static void checkRange(final KernelRegion r, final long offset, final long length)
            throws DeviceException {
        if (offset < 0 || length < 0 || offset > r.size() || length > r.size() - offset) {
            throw new DeviceException(Errno.EINVAL, "region " + r.index() + ": [0x" + Long.toHexString(offset)
                    + ", +" + length + ") outside its " + r.size() + " bytes");
        }
    }
}
