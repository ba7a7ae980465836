package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.sys.Ioctl;
import dev.tern.sys.PosixException;
import java.lang.foreign.MemorySegment;

/** The VFIO ioctls as {@link DeviceException}s: the kernel's errno kept, the message saying which request failed. */
final class Calls {
    private Calls() {
    }

    /** ioctl with a struct argument; {@code what} names the request for the message. */
    static int ioctl(final int fd, final long request, final MemorySegment arg, final String what)
            throws DeviceException {
        try {
            return Ioctl.ioctl(fd, request, arg);
        } catch (final PosixException e) {
            throw failed(what, e);
        }
    }

    /** ioctl with an integer argument (or none: 0). */
    static int ioctl(final int fd, final long request, final long arg, final String what) throws DeviceException {
        try {
            return Ioctl.ioctl(fd, request, arg);
        } catch (final PosixException e) {
            throw failed(what, e);
        }
    }

    static DeviceException failed(final String what, final PosixException e) {
        return new DeviceException(e.errno(), what + " failed: " + e.getMessage(), e);
    }
}
