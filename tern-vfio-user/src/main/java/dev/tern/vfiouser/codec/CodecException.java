package dev.tern.vfiouser.codec;

import dev.tern.sys.Errno;

/**
 * Thrown inside the codec when input violates the wire format; {@link MessageDecoder} turns it into a
 * {@link Malformed} value so that no exception escapes decoding.
 */
public final class CodecException extends Exception {
    /** The errno to answer with. */
    private final int errno;

    /**
     * A decoding failure to answer with {@code errno}; no stack trace, as it is a value on the wire, not a bug.
     *
     * @param errno  the errno to answer with
     * @param reason a human-readable reason for logs
     */
    public CodecException(final int errno, final String reason) {
        super(reason, null, false, false);
        this.errno = errno;
    }

    /** {@return the errno to answer with} */
    public int errno() {
        return errno;
    }

    /** {@return the same error as a value} */
    public Malformed toMalformed() {
        return new Malformed(errno, getMessage());
    }

    /**
     * @param reason why the input is invalid
     * @return an EINVAL exception
     */
    static CodecException invalid(final String reason) {
        return new CodecException(Errno.EINVAL, reason);
    }
}
