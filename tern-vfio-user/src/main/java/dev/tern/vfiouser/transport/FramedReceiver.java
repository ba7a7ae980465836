package dev.tern.vfiouser.transport;

import dev.tern.sys.ControlTruncatedException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.FrameDecoder;
import dev.tern.vfiouser.codec.FrameRejected;
import dev.tern.vfiouser.codec.Framed;
import dev.tern.vfiouser.codec.Header;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The framed half of a {@link MessageChannel}'s receive: once the header has been read (alone, with its
 * descriptors), the body is received without a control buffer and fed with the header through a {@link FrameDecoder},
 * which enforces the {@code msg_size} bounds; a message above the limit is read and dropped in
 * {@value #SKIP_PIECE}-byte pieces without being buffered, so the stream stays in step. Used by the receiving thread
 * only.
 */
final class FramedReceiver {
    private static final int SKIP_PIECE = 64 * 1024;

    private final long maxMessageSize;
    private final FrameDecoder decoder;
    private final List<Framed> framed = new ArrayList<>(2);
    private ByteBuffer body = ByteBuffer.allocateDirect(4096);

    /** @param maxMessageSize the largest message accepted (headers included) */
    FramedReceiver(final long maxMessageSize) {
        this.maxMessageSize = maxMessageSize;
        this.decoder = new FrameDecoder(maxMessageSize);
    }

    /**
     * Receives the body of the message whose header was just read and frames it.
     *
     * @param socket  the channel's socket
     * @param h       the header, decoded
     * @param header  its 16 bytes, position to limit
     * @param fds     the descriptors that came with the header (closed here if the message is refused)
     * @param refusal why the message is refused already (descriptors beyond {@code max_msg_fds}), or null
     * @return the message, or why it is refused
     * @throws IOException if the connection failed or ended in the middle of the message
     */
    Incoming receive(final UnixSocket socket, final Header h, final ByteBuffer header, final List<Fd> fds,
            final String refusal) throws IOException {
        String refused = refusal;
        final List<Framed> framed = this.framed;
        framed.clear();
        decoder.feed(header, fds.size(), framed);
        if (!framed.isEmpty() && framed.getFirst() instanceof FrameRejected fr && fr.fatal()) {
            fds.forEach(Fd::close);
            return new Incoming.Refused(h, fr.errno(), fr.reason(), true);
        }
        long remaining = h.messageSize() - Header.SIZE;
        while (remaining > 0) {
            final int piece = (int) Math.min(remaining, h.messageSize() > maxMessageSize ? SKIP_PIECE
                    : remaining);
            final ByteBuffer b = bodyBuffer(piece);
            try {
                socket.receiveExactly(b, 0);
            } catch (final ControlTruncatedException e) {
                b.position((int) e.bytesReceived());
                while (b.hasRemaining()) {
                    MessageChannel.requireData(socket.receive(b, 0).bytes());
                }
                refused = "fds attached to the body of a message";
            }
            if (b.hasRemaining()) {
                throw new EOFException("peer closed in the middle of a message");
            }
            b.flip();
            decoder.feed(b, 0, framed);
            remaining -= piece;
        }
        if (framed.size() != 1) {
            throw new IllegalStateException("expected one frame per message, got " + framed.size());
        }
        if (framed.getFirst() instanceof FrameRejected fr) {
            fds.forEach(Fd::close);
            return new Incoming.Refused(h, fr.errno(), fr.reason(), false);
        }
        if (refused != null) {
            fds.forEach(Fd::close);
            return new Incoming.Refused(h, Errno.EINVAL, refused, false);
        }
        return new Incoming.Message((Frame) framed.getFirst(), fds);
    }

    private ByteBuffer bodyBuffer(final int size) {
        if (body.capacity() < size) {
            body = ByteBuffer.allocateDirect(Math.max(size, body.capacity() * 2));
        }
        body.clear().limit(size);
        return body;
    }
}
