package dev.tern.vfiouser.codec;

/**
 * The Linux errno values the vfio-user codec puts into {@code Header.error_no} or into a {@link Malformed} result.
 * <p>
 * The vfio-user specification ("Header": "<i>Error</i> in a reply message is an optional UNIX errno value") carries
 * raw Linux errno numbers on the wire, so these are the x86-64/generic Linux values, not Java abstractions.
 * {@code tern-native} has its own errno holder for syscalls; the two are kept separate so this module's codec
 * depends on the JDK only.
 */
public final class Errno {
    /** Operation not permitted. */
    public static final int EPERM = 1;
    /** No such file or directory; libvfio-user's answer to a DMA_LOGGING_REPORT range that matches no region. */
    public static final int ENOENT = 2;
    /** Argument list too long; QEMU answers an oversize DMA_READ/DMA_WRITE with it (not used by this codec). */
    public static final int E2BIG = 7;
    /** Bad address; libvfio-user's answer to a truncated control message. */
    public static final int EFAULT = 14;
    /** File exists; the specification's answer to a DMA_MAP over an existing mapping ("VFIO_USER_DMA_MAP"). */
    public static final int EEXIST = 17;
    /** Invalid argument: every malformed message (see {@link MessageDecoder}). */
    public static final int EINVAL = 22;
    /** Protocol error; libvfio-user's client uses it for a reply whose msg_id does not match. */
    public static final int EPROTO = 71;
    /** Operation not supported. */
    public static final int ENOTSUP = 95;

    private Errno() {
    }

    /**
     * @param errno an errno value
     * @return its symbolic name for the values defined here, else {@code "errno <n>"}
     */
    public static String name(final int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case E2BIG -> "E2BIG";
            case EFAULT -> "EFAULT";
            case EEXIST -> "EEXIST";
            case EINVAL -> "EINVAL";
            case EPROTO -> "EPROTO";
            case ENOTSUP -> "ENOTSUP";
            default -> "errno " + errno;
        };
    }
}
