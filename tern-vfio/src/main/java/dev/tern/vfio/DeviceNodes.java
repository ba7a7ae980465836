package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Ioctl;
import dev.tern.sys.PosixException;
import java.nio.file.Path;

/** Opening {@code /dev/vfio} nodes, with the failure a person can act on instead of a bare errno. */
final class DeviceNodes {
    private DeviceNodes() {
    }

    /**
     * @param what what the node is, for the message ("the VFIO container", "IOMMU group 7")
     * @return the open descriptor (read-write, close-on-exec)
     */
    static int open(final Path node, final String what) throws DeviceException {
        try {
            return Ioctl.open(node, Ioctl.O_RDWR);
        } catch (final PosixException e) {
            throw new DeviceException(e.errno(), "cannot open " + node + " (" + what + "): " + advice(e.errno()), e);
        }
    }

    private static String advice(final int errno) {
        return switch (errno) {
            case Errno.ENOENT -> "no such node (is the vfio module loaded and the device bound to a vfio driver?)";
            case Errno.EACCES, Errno.EPERM -> "permission denied (run as root, or as a user who may open /dev/vfio)";
            case Errno.EBUSY -> "busy (another process, e.g. a VMM, holds the group)";
            default -> Errno.name(errno);
        };
    }
}
