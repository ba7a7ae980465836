package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A VFIO container ({@code /dev/vfio/vfio}): the IOMMU context groups join. Opened with its API version and the
 * type1v2 extension checked; {@link #setIommu()} once the first group is attached (the kernel requires a group
 * first, {@code vfio.rst} "Groups, Devices, and IOMMUs"); then guest memory is mapped with {@link #mapDma}.
 */
public final class VfioContainer implements AutoCloseable {

    private final Fd fd;
    private final Path path;

    private VfioContainer(final Fd fd, final Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Opens {@code devVfio/vfio} and checks {@code VFIO_GET_API_VERSION} and {@code VFIO_TYPE1v2_IOMMU}.
     *
     * @param devVfio where the VFIO nodes are ({@code /dev/vfio})
     * @return the container, with no group attached yet
     * @throws DeviceException with a message a person can act on (module not loaded, permission)
     */
    public static VfioContainer open(final Path devVfio) throws DeviceException {
        final Path path = devVfio.resolve("vfio");
        final VfioContainer c = new VfioContainer(new Fd(DeviceNodes.open(path, "the VFIO container")), path);
        try {
            final int version = Calls.ioctl(c.fd.value(), Vfio.GET_API_VERSION, 0, "VFIO_GET_API_VERSION");
            if (version != Vfio.API_VERSION) {
                throw new DeviceException(Errno.EPROTO, path + ": VFIO API version " + version + ", Tern speaks "
                        + Vfio.API_VERSION);
            }
            if (Calls.ioctl(c.fd.value(), Vfio.CHECK_EXTENSION, Vfio.TYPE1V2_IOMMU, "VFIO_CHECK_EXTENSION") <= 0) {
                throw new DeviceException(Errno.ENODEV, path + ": no type1v2 IOMMU (modprobe vfio_iommu_type1)");
            }
            return c;
        } catch (final DeviceException e) {
            c.close();
            throw e;
        }
    }

    /** {@code VFIO_SET_IOMMU(TYPE1v2)}; valid once a group is attached. */
    void setIommu() throws DeviceException {
        Calls.ioctl(fd.value(), Vfio.SET_IOMMU, Vfio.TYPE1V2_IOMMU, "VFIO_SET_IOMMU(type1v2)");
    }

    /** @return the container's descriptor, for {@code VFIO_GROUP_SET_CONTAINER} */
    int value() {
        return fd.value();
    }

    /**
     * {@code VFIO_IOMMU_MAP_DMA}: maps {@code memory} (e.g. a memfd-backed guest memory) at {@code iova} for
     * device DMA.
     *
     * @param memory the process memory to map, page-aligned
     * @param iova where the device sees it
     * @param writable false for a mapping the device may only read
     * @throws DeviceException with the kernel's errno (e.g. EEXIST for an overlap, ENOMEM over the locked-memory limit)
     */
    public void mapDma(final MemorySegment memory, final long iova, final boolean writable) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment m = arena.allocate(VfioLayouts.DMA_MAP);
            m.set(ValueLayout.JAVA_INT, 0, (int) VfioLayouts.DMA_MAP.byteSize());
            m.set(ValueLayout.JAVA_INT, VfioLayouts.DMA_MAP_FLAGS,
                    Vfio.DMA_MAP_FLAG_READ | (writable ? Vfio.DMA_MAP_FLAG_WRITE : 0));
            m.set(ValueLayout.JAVA_LONG, VfioLayouts.DMA_MAP_VADDR, memory.address());
            m.set(ValueLayout.JAVA_LONG, VfioLayouts.DMA_MAP_IOVA, iova);
            m.set(ValueLayout.JAVA_LONG, VfioLayouts.DMA_MAP_SIZE, memory.byteSize());
            Calls.ioctl(fd.value(), Vfio.IOMMU_MAP_DMA, m, "VFIO_IOMMU_MAP_DMA(iova=0x" + Long.toHexString(iova)
                    + ", size=0x" + Long.toHexString(memory.byteSize()) + ")");
        }
    }

    /**
     * {@code VFIO_IOMMU_UNMAP_DMA} of {@code [iova, iova + size)}.
     *
     * @param iova the start of the range
     * @param size the range's length
     * @throws DeviceException with the kernel's errno
     */
    public void unmapDma(final long iova, final long size) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment m = arena.allocate(VfioLayouts.DMA_UNMAP);
            m.set(ValueLayout.JAVA_INT, 0, (int) VfioLayouts.DMA_UNMAP.byteSize());
            m.set(ValueLayout.JAVA_LONG, VfioLayouts.DMA_UNMAP_IOVA, iova);
            m.set(ValueLayout.JAVA_LONG, VfioLayouts.DMA_UNMAP_SIZE, size);
            Calls.ioctl(fd.value(), Vfio.IOMMU_UNMAP_DMA, m, "VFIO_IOMMU_UNMAP_DMA");
        }
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
