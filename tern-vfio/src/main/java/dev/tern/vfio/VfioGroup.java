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

/** An IOMMU group ({@code /dev/vfio/N}): status, attaching it to a container, and its devices' fds. */
final class VfioGroup implements AutoCloseable {

    private final Fd fd;
    private final int number;

    private VfioGroup(final Fd fd, final int number) {
        this.fd = fd;
        this.number = number;
    }

    /** Opens {@code devVfio/N}. */
    static VfioGroup open(final Path devVfio, final int number) throws DeviceException {
        return new VfioGroup(new Fd(DeviceNodes.open(devVfio.resolve(Integer.toString(number)),
                "IOMMU group " + number)), number);
    }

    /** @return {@code VFIO_GROUP_GET_STATUS} flags ({@link Vfio#GROUP_FLAGS_VIABLE}, CONTAINER_SET) */
    int status() throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(VfioLayouts.GROUP_STATUS);
            s.set(ValueLayout.JAVA_INT, 0, (int) VfioLayouts.GROUP_STATUS.byteSize());
            Calls.ioctl(fd.value(), Vfio.GROUP_GET_STATUS, s, "VFIO_GROUP_GET_STATUS");
            return s.get(ValueLayout.JAVA_INT, 4);
        }
    }

    /**
     * Checks the group is viable (every device in it bound to a vfio driver or none), then {@code
     * VFIO_GROUP_SET_CONTAINER}.
     */
    void attach(final VfioContainer container) throws DeviceException {
        if ((status() & Vfio.GROUP_FLAGS_VIABLE) == 0) {
            throw new DeviceException(Errno.EBUSY, "IOMMU group " + number + " is not viable: some device in it "
                    + "is bound to a driver other than a vfio one");
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment cfd = arena.allocate(ValueLayout.JAVA_INT);
            cfd.set(ValueLayout.JAVA_INT, 0, container.value());
            Calls.ioctl(fd.value(), Vfio.GROUP_SET_CONTAINER, cfd, "VFIO_GROUP_SET_CONTAINER(group " + number + ")");
        }
    }

    /** {@code VFIO_GROUP_GET_DEVICE_FD} with the device's name (PCI address or mdev UUID), NUL-terminated. */
    Fd device(final String name) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            return new Fd(Calls.ioctl(fd.value(), Vfio.GROUP_GET_DEVICE_FD, arena.allocateFrom(name),
                    "VFIO_GROUP_GET_DEVICE_FD(" + name + ")"));
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
