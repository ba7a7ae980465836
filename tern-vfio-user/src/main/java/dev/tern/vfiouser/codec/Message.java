package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A typed vfio-user message payload (the bytes after the {@link Header}). A payload type is either a
 * {@link Request} (carried by a command message), a {@link Reply}, or both when the specification uses one layout
 * for both directions (VERSION, DEVICE_GET_INFO, DEVICE_GET_IRQ_INFO, DEVICE_FEATURE).
 * <p>
 * File descriptors travel out of band ({@code SCM_RIGHTS} in the same {@code sendmsg} as the bytes,
 * specification "VFIO_USER_DMA_MAP"); a message only records how many accompany it in {@link #fdCount()}.
 */
public sealed interface Message permits Request, Reply {

    /** {@return the command this payload belongs to} */
    Command command();

    /** {@return the payload length in bytes} */
    int payloadSize();

    /**
     * Writes exactly {@link #payloadSize()} bytes.
     *
     * @param dst a little-endian buffer with enough room
     */
    void writePayload(ByteBuffer dst);

    /** {@return how many file descriptors travel with this message} */
    default int fdCount() {
        return 0;
    }

    /** {@return the payload bytes} */
    default byte[] payloadBytes() {
        final ByteBuffer b = ByteBuffer.allocate(payloadSize()).order(ByteOrder.LITTLE_ENDIAN);
        writePayload(b);
        if (b.hasRemaining()) {
            throw new IllegalStateException(command() + ": payloadSize() disagrees with writePayload()");
        }
        return b.array();
    }
}
