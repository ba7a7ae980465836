package dev.tern.vfiouser.codec;

import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a vfio-user byte stream into {@link Frame}s, whatever the sizes of the pieces it arrives in (Netty's
 * length-field framing, specialised to the 16-byte header whose {@code msg_size} at offset 4 counts the whole
 * message, header included; specification "Header").
 * <p>
 * File descriptors: on an {@code AF_UNIX} stream socket, {@code SCM_RIGHTS} descriptors arrive with the first bytes
 * of the {@code sendmsg} that carried them, i.e. with the start of a message. {@link #feed} therefore attributes the
 * fds handed in with a piece to the message that the piece's first byte belongs to.
 * <p>
 * Bounds: a frame above {@code maxMessageSize} is never buffered; its body is skipped and a non-fatal
 * {@link FrameRejected} (EINVAL) is produced when it ends. A {@code msg_size} below 16 cannot be framed at all: a
 * fatal {@link FrameRejected} is produced and all further input is ignored (the caller closes the connection).
 * <p>
 * Not thread-safe: one decoder per connection, fed by the thread that reads the socket.
 */
public final class FrameDecoder {
    private final long maxMessageSize;
    private final byte[] headerBytes = new byte[Header.SIZE];
    private int headerFill;
    private Header header;
    private byte[] body;
    private int bodyFill;
    private long skipRemaining;
    private int pendingFds;
    private boolean failed;

    /**
     * A decoder that never buffers a frame above {@code maxMessageSize}: it skips its body and reports EINVAL.
     *
     * @param maxMessageSize largest accepted {@code msg_size} (header included), e.g.
     *                       {@link CodecLimits#maxMessageSize()}
     */
    public FrameDecoder(final long maxMessageSize) {
        if (maxMessageSize < Header.SIZE) {
            throw new IllegalArgumentException("maxMessageSize < 16");
        }
        this.maxMessageSize = maxMessageSize;
    }

    /**
     * {@return the frames and rejections completed by this piece, in order}
     *
     * @param piece bytes read from the socket (any length, including 0)
     * @param fds   file descriptors received together with these bytes
     */
    public List<Framed> feed(final byte[] piece, final int fds) {
        return feed(ByteBuffer.wrap(piece), fds);
    }

    /**
     * {@return the frames and rejections completed by this piece, in order}
     *
     * @param piece bytes read from the socket; consumed entirely (position moves to limit)
     * @param fds   file descriptors received together with these bytes
     */
    public List<Framed> feed(final ByteBuffer piece, final int fds) {
        final List<Framed> out = new ArrayList<>(2);
        feed(piece, fds, out);
        return out;
    }

    /**
     * Like {@link #feed(ByteBuffer, int)}, appending to {@code out} (a receiver's reused list: nothing allocated
     * for the pieces of a message but the frame itself).
     *
     * @param piece bytes read from the socket; consumed entirely (position moves to limit)
     * @param fds   file descriptors received together with these bytes
     * @param out   receives the frames and rejections completed by this piece, in order
     */
    public void feed(final ByteBuffer piece, final int fds, final List<Framed> out) {
        if (fds < 0) {
            throw new IllegalArgumentException("fds < 0");
        }
        if (failed) {
            piece.position(piece.limit());
            return;
        }
        pendingFds += fds;
        while (piece.hasRemaining() && !failed) {
            if (skipRemaining > 0) {
                final int n = (int) Math.min(skipRemaining, piece.remaining());
                piece.position(piece.position() + n);
                skipRemaining -= n;
                if (skipRemaining == 0) {
                    out.add(new FrameRejected(header, Errno.EINVAL, "msg_size " + header.messageSize()
                            + " exceeds the maximum " + maxMessageSize, takeFds(), false));
                    reset();
                }
            } else if (headerFill < Header.SIZE) {
                final int n = Math.min(Header.SIZE - headerFill, piece.remaining());
                piece.get(headerBytes, headerFill, n);
                headerFill += n;
                if (headerFill == Header.SIZE) {
                    onHeader(out);
                }
            } else {
                final int n = Math.min(body.length - bodyFill, piece.remaining());
                piece.get(body, bodyFill, n);
                bodyFill += n;
                if (bodyFill == body.length) {
                    emit(out);
                }
            }
        }
        piece.position(piece.limit());
    }

    private void onHeader(final List<Framed> out) {
        header = Header.read(headerBytes, 0);
        final long size = header.messageSize();
        if (size < Header.SIZE) {
            out.add(new FrameRejected(header, Errno.EINVAL, "msg_size " + size + " < 16", takeFds(), true));
            failed = true;
        } else if (size > maxMessageSize) {
            skipRemaining = size - Header.SIZE;
        } else {
            body = new byte[(int) (size - Header.SIZE)];
            bodyFill = 0;
            if (body.length == 0) {
                emit(out);
            }
        }
    }

    private void emit(final List<Framed> out) {
        out.add(new Frame(header, Blob.wrap(body), takeFds()));
        reset();
    }

    private int takeFds() {
        final int n = pendingFds;
        pendingFds = 0;
        return n;
    }

    private void reset() {
        headerFill = 0;
        header = null;
        body = null;
        bodyFill = 0;
    }

    /** {@return whether a fatal rejection happened; the connection must be closed} */
    public boolean isFailed() {
        return failed;
    }

    /** {@return whether part of a message has been received (a disconnect now would truncate it)} */
    public boolean hasPartialFrame() {
        return headerFill > 0 || skipRemaining > 0;
    }
}
