package dev.tern.vfiouser.transport;

import dev.tern.sys.ControlTruncatedException;
import dev.tern.sys.Errno;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Header;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one reusable direct buffer a {@link MessageChannel} lends ({@link Incoming.Loaned}): a message body is
 * received straight into it, handed on without a frame or a copy, and given back by {@link Incoming.Loaned#release()};
 * while it is out, later messages take the framed path.
 */
final class LentBuffer {
    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);
    /** The read-only little-endian view lent each time (one loan at a time: re-pointed per message, not made anew). */
    private ByteBuffer view = buffer.asReadOnlyBuffer();
    private final AtomicBoolean out = new AtomicBoolean();
    private final Runnable release = () -> out.set(false);

    /** @return true if the buffer was free and is now taken by the receiving thread */
    boolean take() {
        return out.compareAndSet(false, true);
    }

    /**
     * Receives the body of {@code h} into the taken buffer; the loan ends here unless the message is handed on.
     *
     * @return the lent message, or a refusal (descriptors in the body: fatal for a reply, which cannot be trusted to
     *         frame; a command is refused once its bytes are read, as on the framed path)
     */
    Incoming receive(final Header h, final UnixSocket socket) throws IOException {
        boolean handedOn = false;
        try {
            final int size = (int) (h.messageSize() - Header.SIZE);
            if (buffer.capacity() < size) {
                buffer = ByteBuffer.allocateDirect(size);
                view = buffer.asReadOnlyBuffer();
            }
            final ByteBuffer b = buffer.clear().limit(size);
            try {
                socket.receiveExactly(b, 0);
            } catch (final ControlTruncatedException e) {
                if (h.isReply()) {
                    return new Incoming.Refused(h, Errno.EINVAL, "fds attached to the body of a reply", true);
                }
                b.position((int) e.bytesReceived());
                while (b.hasRemaining()) {
                    MessageChannel.requireData(socket.receive(b, 0).bytes());
                }
                return new Incoming.Refused(h, Errno.EINVAL, "fds attached to the body of a message", false);
            }
            if (b.hasRemaining()) {
                throw new EOFException("peer closed in the middle of a message");
            }
            handedOn = true;
            return new Incoming.Loaned(h, view.clear().limit(size).order(ByteOrder.LITTLE_ENDIAN), release);
        } finally {
            if (!handedOn) {
                out.set(false);
            }
        }
    }
}
