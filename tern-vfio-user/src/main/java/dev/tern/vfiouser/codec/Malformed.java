package dev.tern.vfiouser.codec;

import dev.tern.sys.Errno;
import java.util.Objects;

/**
 * Input that violates the wire format. A server answers a malformed command with an error reply carrying
 * {@link #errno()} (specification "Header"); a client treats a malformed reply as a protocol failure.
 *
 * @param errno  the errno to answer with (EINVAL for everything the codec detects; see {@link MessageDecoder})
 * @param reason what is wrong, for logs
 */
public record Malformed(int errno, String reason) implements DecodeResult {
    /** Checks for null. */
    public Malformed {
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return "Malformed[" + Errno.name(errno) + ": " + reason + "]";
    }
}
