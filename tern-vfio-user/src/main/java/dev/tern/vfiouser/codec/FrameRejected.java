package dev.tern.vfiouser.codec;

import java.util.Objects;

/**
 * A message the {@link FrameDecoder} could not frame.
 * <ul>
 * <li>{@code msg_size > maxMessageSize}: not fatal. The body was skipped without buffering, so the stream stays in
 * step; the receiver should answer EINVAL (libvfio-user {@code is_valid_header}) and close {@link #fdCount()}
 * descriptors.</li>
 * <li>{@code msg_size < 16}: fatal. The stream cannot be re-synchronised and the connection must be closed.</li>
 * </ul>
 *
 * @param header  the offending header
 * @param errno   the errno to answer with (EINVAL)
 * @param reason  a human-readable reason
 * @param fdCount file descriptors that arrived with the rejected message
 * @param fatal   whether the stream is unusable from here on
 */
public record FrameRejected(Header header, int errno, String reason, int fdCount, boolean fatal)
        implements Framed {
    /** Checks for null. */
    public FrameRejected {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(reason, "reason");
    }
}
