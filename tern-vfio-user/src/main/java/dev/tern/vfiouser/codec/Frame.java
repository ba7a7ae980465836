package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One complete message as it travels: the header, the payload bytes, and how many file descriptors arrived with
 * (or must be sent with) it. Framing only; {@link MessageDecoder} gives the payload a type.
 *
 * @param header  the header; its {@code msg_size} equals 16 + payload length
 * @param payload the bytes after the header
 * @param fdCount file descriptors attached ({@code SCM_RIGHTS})
 */
public record Frame(Header header, Blob payload, int fdCount) implements Framed {
    /** Checks that msg_size and the payload agree. */
    public Frame {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(payload, "payload");
        if (header.messageSize() != Header.SIZE + (long) payload.length()) {
            throw new IllegalArgumentException("msg_size " + header.messageSize() + " but payload "
                    + payload.length());
        }
        if (fdCount < 0) {
            throw new IllegalArgumentException("fdCount < 0");
        }
    }

    /** {@return header and payload, ready for {@code sendmsg}} */
    public byte[] toBytes() {
        final ByteBuffer b = ByteBuffer.allocate(Header.SIZE + payload.length());
        writeTo(b);
        return b.array();
    }

    /**
     * Writes the header and the payload, the whole message.
     *
     * @param dst buffer with room for {@code msg_size} bytes
     */
    public void writeTo(final ByteBuffer dst) {
        header.writeTo(dst);
        payload.writeTo(dst);
    }
}
