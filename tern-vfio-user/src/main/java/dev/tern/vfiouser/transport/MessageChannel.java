package dev.tern.vfiouser.transport;

import dev.tern.sys.ControlTruncatedException;
import dev.tern.sys.Fd;
import dev.tern.sys.IoVector;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.AsynchronousCloseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * vfio-user framing over one {@code AF_UNIX} stream socket, with descriptors ({@code SCM_RIGHTS}).
 * <p>
 * Receiving follows libvfio-user's {@code tran_sock} (vfio-user.md §1 "fd passing"): the 16-byte header is read on
 * its own with a control buffer for at most {@code max_msg_fds} descriptors, then exactly {@code msg_size - 16}
 * body bytes without one. A sender attaches its descriptors to the first byte of its {@code sendmsg}, i.e. to the
 * header, so they are never attributed to the wrong message; descriptors arriving with body bytes, or more than
 * allowed, make the message a {@link Incoming.Refused} (EINVAL) and are closed. The body is framed by a
 * {@link FramedReceiver}, which enforces the {@code msg_size} bounds (a message above the limit is read and dropped
 * without being buffered, so the stream stays in step); an oversized <i>reply</i> is fatal at once (a reply is never
 * larger than what was asked for).
 * <p>
 * Threads: one thread receives, any number send ({@link #send} is serialised and writes each message with one
 * gather {@code sendmsg}, descriptors attached to its first byte).
 */
public final class MessageChannel implements AutoCloseable {
    /** The largest socket buffer {@link #sizeBuffersFor} asks for (per direction, before the kernel doubles it). */
    public static final int MAX_SOCKET_BUFFER = 4 << 20;
    /** The most fixed payload fields {@link #sendCommand} puts before the caller's data. */
    public static final int MAX_PREFIX_FIELDS = 32;
    private static final ByteBuffer NO_FIELDS = ByteBuffer.allocate(0);

    private final UnixSocket socket;
    private final ByteBuffer header = ByteBuffer.allocateDirect(Header.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final ReentrantLock sendLock = new ReentrantLock();
    /** The header (and a command's fixed fields) of a message whose payload is sent from the caller's memory. */
    private final ByteBuffer prefix = ByteBuffer.allocateDirect(Header.SIZE + MAX_PREFIX_FIELDS)
            .order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment prefixSegment = MemorySegment.ofBuffer(prefix);
    private final SendBuffer out = new SendBuffer();
    private final LaidOutSender laidOut;
    private final LentBuffer loan = new LentBuffer();
    private volatile int directReply = -1;
    private volatile int directCommand = -1;
    private volatile CodecLimits limits;
    private FramedReceiver framedReceiver;
    private volatile long messageStarted;
    /** Scratch of the receiving thread: the descriptors and the header bytes of the message being received. */
    private final List<Fd> receivedFds = new ArrayList<>();
    private final byte[] headerBytes = new byte[Header.SIZE];
    private final ByteBuffer headerWrap = ByteBuffer.wrap(headerBytes);
    private final MemorySegment headerSegment = MemorySegment.ofBuffer(header);
    private final InPlaceReceiver inPlace = new InPlaceReceiver(headerSegment);

    /**
     * A channel that frames messages over {@code socket}.
     *
     * @param socket a connected socket; the channel owns it
     * @param limits what this side accepts before negotiation (message size, fds per message)
     */
    public MessageChannel(final UnixSocket socket, final CodecLimits limits) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.laidOut = new LaidOutSender(socket, sendLock, new SendBuffer());
        setInboundLimits(limits);
    }

    /** {@return the socket (owned by this channel)} */
    public UnixSocket socket() {
        return socket;
    }

    /**
     * From now on, a reply to {@code command} that carries a payload and no descriptors is received straight into
     * one reusable direct buffer and handed on as {@link Incoming.Loaned} while that buffer is not lent (the
     * client's MIG_DATA_READ: no frame, no copy but the caller's own); otherwise it is framed as usual.
     *
     * @param command the command whose replies to lend
     */
    public void receiveRepliesDirect(final Command command) {
        directReply = command.code();
    }

    /**
     * From now on, a {@code command} (not a reply) that carries a payload and no descriptors is received straight
     * into the lent buffer as {@link Incoming.Loaned} while that buffer is not lent (the server's MIG_DATA_WRITE: no
     * frame, no {@code Blob}; the handler copies the data once, into the device's stream).
     *
     * @param command the command to lend
     */
    public void receiveCommandsDirect(final Command command) {
        directCommand = command.code();
    }

    /**
     * From now on, a well-typed {@code command} (or its reply) without descriptors that fits the limits is received
     * in place as the reused {@link Incoming.InPlace}: no frame, no record, nothing allocated (REGION_READ).
     *
     * @param command the command
     * @param replies true for its replies, false for its commands
     */
    public void receiveInPlace(final Command command, final boolean replies) {
        inPlace.accept(command, replies);
    }

    /** {@return what {@link #receive()} accepts} */
    public CodecLimits inboundLimits() {
        return limits;
    }

    /**
     * Changes what {@link #receive()} accepts, e.g. after VERSION negotiation. Call between two receives, from the
     * receiving thread.
     *
     * @param limits the new bounds
     */
    public void setInboundLimits(final CodecLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.framedReceiver = new FramedReceiver(limits.maxMessageSize());
    }

    /**
     * Receives the next message. Only one thread may call this.
     *
     * @return the message, a refused message, or the end of the connection
     */
    public Incoming receive() {
        final List<Fd> fds = receivedFds;
        fds.clear(); // copied into the message, or closed, by the previous receive
        try {
            return receive(fds);
        } finally {
            messageStarted = 0;
        }
    }

    /**
     * Waits until a message (or the end of the connection) can be received, for at most {@code nanos}: a receiver
     * whose wait must stay bounded polls first, then calls {@link #receive()}.
     *
     * @param nanos how long to wait; 0 or less only checks
     * @return true if {@link #receive()} will not wait for a first byte
     */
    public boolean awaitReadable(final long nanos) {
        try {
            return socket.awaitReadable(nanos);
        } catch (final IOException | IllegalStateException e) {
            return true; // a failed or closed socket: the receive reports it
        }
    }

    /**
     * {@return {@link System#nanoTime()} when the first byte of the message being received arrived, or 0 between
     * messages; read by a watchdog on another thread}
     */
    public long messageStartedNanos() {
        return messageStarted;
    }

    private Incoming receive(final List<Fd> fds) {
        try {
            return receiveMessage(fds);
        } catch (final EOFException e) {
            fds.forEach(Fd::close);
            return new Incoming.Closed("peer closed the connection in the middle of a message", false);
        } catch (final AsynchronousCloseException e) {
            fds.forEach(Fd::close);
            return new Incoming.Closed("the connection was closed on this side", false);
        } catch (final IOException | RuntimeException e) {
            fds.forEach(Fd::close);
            return new Incoming.Closed("receive failed: " + e, false);
        }
    }

    private Incoming receiveMessage(final List<Fd> fds) throws IOException {
        final int maxFds = Math.min(limits.maxFds(), 253);
        String refusal = null;
        int have = 0;
        try {
            // The first byte is awaited without a deadline (a client may be idle between messages); from then on
            // the message is "in progress" and a watchdog may bound it (messageStartedNanos).
            have = (int) socket.receive(headerSegment, 0, Header.SIZE, maxFds, fds);
            if (have == 0) {
                return new Incoming.Closed("peer closed the connection", true);
            }
            messageStarted = System.nanoTime();
            if (have < Header.SIZE) {
                requireData(socket.receiveExactly(headerSegment, have, Header.SIZE - have, maxFds - fds.size(), fds));
                have = Header.SIZE;
            }
        } catch (final ControlTruncatedException e) {
            // The descriptors were closed by the native layer; finish the header and drop the message.
            messageStarted = System.nanoTime();
            finishHeader(have + (int) e.bytesReceived());
            refusal = "more than " + maxFds + " fds (max_msg_fds) with one message";
        }
        if (refusal == null && fds.isEmpty() && inPlace.wants(limits.maxMessageSize())) {
            return inPlace.receive(socket, fds);
        }
        MemorySegment.copy(headerSegment, ValueLayout.JAVA_BYTE, 0, headerBytes, 0, Header.SIZE);
        final Header h = Header.read(headerBytes, 0);
        if (h.isReply() && h.messageSize() > limits.maxMessageSize()) {
            // Nothing this side asks for is that large: skipping up to 4 GiB of a hostile reply would only keep
            // the waiting caller waiting, so the connection ends now.
            fds.forEach(Fd::close);
            return new Incoming.Refused(h, Errno.EINVAL, "reply msg_size " + h.messageSize() + " exceeds the maximum "
                    + limits.maxMessageSize(), true);
        }
        if (lends(h, fds, refusal) && loan.take()) {
            return loan.receive(h, socket);
        }
        return framedReceiver.receive(socket, h, headerWrap.clear(), fds, refusal);
    }

    private boolean lends(final Header h, final List<Fd> fds, final String refusal) {
        return h.command() == (h.isReply() ? directReply : directCommand) && !h.isError() && fds.isEmpty()
                && refusal == null && h.messageSize() > Header.SIZE && h.messageSize() <= limits.maxMessageSize();
    }

    private void finishHeader(final int from) throws IOException {
        int have = from;
        while (have < Header.SIZE) {
            try {
                have += (int) requireData(socket.receive(headerSegment, have, Header.SIZE - have, 0, receivedFds));
            } catch (final ControlTruncatedException e) {
                have += (int) e.bytesReceived();
            }
        }
    }

    /** @return {@code bytes}, unless 0 (the peer closed in the middle of a message) */
    static long requireData(final long bytes) throws EOFException {
        if (bytes == 0) {
            throw new EOFException("peer closed in the middle of a message");
        }
        return bytes;
    }


    /**
     * Sends one message with one gather write; {@code fds} travel with its first byte.
     *
     * @param frame the message; {@code frame.fdCount()} must equal {@code fds.size()}
     * @param fds   descriptors to pass (still owned by the caller)
     * @throws IOException if the connection failed
     */
    public void send(final Frame frame, final List<Fd> fds) throws IOException {
        if (frame.fdCount() != fds.size()) {
            throw new IllegalArgumentException(frame.header() + " announces " + frame.fdCount() + " fds, got "
                    + fds.size());
        }
        final int size = (int) frame.header().messageSize();
        sendLock.lock();
        try {
            final ByteBuffer b = out.ensure(size).clear();
            frame.writeTo(b);
            socket.send(b.flip(), fds.toArray(Fd[]::new));
        } finally {
            sendLock.unlock();
        }
    }

    /** {@return the allocation-free sender of messages laid out in this channel's send buffer} */
    public LaidOutSender laidOut() {
        return laidOut;
    }

    /**
     * Sends a reply gathered from native memory (MIG_DATA_READ: views of the device's memory, zeros): the header and
     * {@code fields} are written into the channel's prefix, which becomes entry 0 of {@code data}, and everything
     * leaves in one gather {@code sendmsg} (partial writes continue where they stopped); the data is not copied in
     * Java.
     *
     * @param msgId   the request's message ID
     * @param command the command answered
     * @param fields  the payload's fixed fields (at most {@value #MAX_PREFIX_FIELDS} bytes), position to limit
     * @param data    the pieces after them; entry 0 reserved ({@link IoVector#reserve()}) for the prefix. Trimmed as
     *                it is sent
     * @throws IOException if the connection failed
     */
    public void sendReply(final int msgId, final Command command, final ByteBuffer fields, final IoVector data)
            throws IOException {
        final int n = fields.remaining();
        if (n > MAX_PREFIX_FIELDS) {
            throw new IllegalArgumentException(n + " bytes of fixed fields, at most " + MAX_PREFIX_FIELDS);
        }
        final int payload = Math.toIntExact(n + data.byteSize());
        sendLock.lock();
        try {
            // the header straight into the prefix (no Header record: a MIG_DATA_READ reply allocates nothing)
            Header.write(prefixSegment, msgId, command.code(), Header.SIZE + payload, Header.TYPE_REPLY, 0);
            prefix.clear().position(Header.SIZE);
            prefix.put(prefix.position(), fields, fields.position(), n).position(prefix.position() + n);
            data.set(0, prefixSegment, 0, prefix.position());
            socket.send(data);
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Sends a command whose data is in the caller's memory (MIG_DATA_WRITE from the migration stream's buffer):
     * the header, the fixed fields and the data go out in one gather {@code sendmsg} without a Java copy of the
     * data (native memory; heap memory is staged by {@link UnixSocket#send(List, List)}).
     *
     * @param msgId   the command's message ID
     * @param command the command
     * @param fields  the payload's fixed fields before the data (at most {@value #MAX_PREFIX_FIELDS} bytes),
     *                position to limit
     * @param data    the data after them
     * @throws IOException if the connection failed
     */
    public void sendCommand(final int msgId, final Command command, final ByteBuffer fields, final MemorySegment data)
            throws IOException {
        if (fields.remaining() > MAX_PREFIX_FIELDS) {
            throw new IllegalArgumentException(fields.remaining() + " bytes of fixed fields, at most "
                    + MAX_PREFIX_FIELDS);
        }
        sendGather(Header.command(msgId, command, Math.toIntExact(fields.remaining() + data.byteSize()), false),
                fields, data);
    }

    /** One gather {@code sendmsg} of header + fields (copied into the direct prefix) + data; partial writes resume. */
    private void sendGather(final Header h, final ByteBuffer fields, final MemorySegment data) throws IOException {
        sendLock.lock();
        try {
            prefix.clear();
            h.writeTo(prefix);
            final int n = fields.remaining();
            prefix.put(prefix.position(), fields, fields.position(), n).position(prefix.position() + n);
            socket.send(List.of(prefixSegment.asSlice(0, prefix.position()), data), List.of());
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Sizes the socket buffers for messages carrying up to {@code maxDataXfer} data bytes (after VERSION
     * negotiation): two such messages fit, so a 1 MiB MIG_DATA_READ reply or MIG_DATA_WRITE leaves in one
     * {@code sendmsg} while the peer still reads the previous one, instead of in 208 KiB steps (the default
     * {@code net.core.wmem_default}). Capped at {@link #MAX_SOCKET_BUFFER}; the kernel may cap lower
     * ({@code net.core.wmem_max}), which only costs speed, so a refusal is logged, not fatal.
     *
     * @param maxDataXfer the negotiated largest data piece of one message
     */
    public void sizeBuffersFor(final long maxDataXfer) {
        final int bytes = (int) Math.min(2 * (maxDataXfer + 4096), MAX_SOCKET_BUFFER);
        try {
            socket.setBufferSizes(bytes);
        } catch (final IOException e) {
            System.getLogger(MessageChannel.class.getName()).log(System.Logger.Level.DEBUG,
                    "socket buffers stay at the default: {0}", e.getMessage());
        }
    }

    /** Closes the socket; a thread blocked in {@link #receive()} wakes up with {@link Incoming.Closed}. */
    @Override
    public void close() {
        socket.close();
    }
}
