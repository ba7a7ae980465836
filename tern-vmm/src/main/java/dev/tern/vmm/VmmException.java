package dev.tern.vmm;

/**
 * Opening a side's devices failed: the message is one line naming the device (its socket or the VFIO device as
 * given) and why, and everything opened so far has been closed again.
 */
public final class VmmException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * A failure to open a side's devices, with nothing left open.
     *
     * @param message one line naming the device and why
     */
    public VmmException(final String message) {
        super(message);
    }

    /** @return the first line of {@code message}, stripped; "failed" when there is none */
    static String oneLine(final String message) {
        return message == null ? "failed" : message.lines().findFirst().orElse("failed").strip();
    }
}
