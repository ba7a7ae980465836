package dev.tern.device;

import dev.tern.sys.Errno;

/**
 * A request the device refused, carrying the Linux errno a VFIO driver would return for it.
 *
 * <p>Transports turn it into their error reply unchanged (a vfio-user reply's {@code error} field, an ioctl's
 * {@code -errno}), so every refusal names the errno the kernel uAPI documents for that case.
 */
public class DeviceException extends Exception {

    /** The errno to report ({@link #errno()}). */
    private final int errno;

    /**
     * A refusal to report as {@code errno} (on vfio-user, in the error reply's header).
     *
     * @param errno a {@link Errno} constant
     * @param message one line saying what was refused and why
     */
    public DeviceException(final int errno, final String message) {
        super(Errno.name(errno) + ": " + message);
        this.errno = errno;
    }

    /**
     * A refusal to report as {@code errno}, caused by {@code cause}.
     *
     * @param errno a {@link Errno} constant
     * @param message one line saying what was refused and why
     * @param cause the underlying failure
     */
    public DeviceException(final int errno, final String message, final Throwable cause) {
        super(Errno.name(errno) + ": " + message, cause);
        this.errno = errno;
    }

    /** {@return the errno to report ({@link Errno} constant)} */
    public int errno() {
        return errno;
    }
}
