package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DecodeResult;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.ErrorReply;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.Malformed;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataReadReply;
import dev.tern.vfiouser.codec.Negotiation;
import dev.tern.vfiouser.codec.NegotiationOutcome;
import dev.tern.vfiouser.codec.Reply;
import dev.tern.vfiouser.codec.Request;
import dev.tern.vfiouser.codec.Session;
import dev.tern.vfiouser.codec.Version;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import dev.tern.vfiouser.transport.MsgIds;
import dev.tern.vfiouser.transport.ReplyRouter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client's connection: VERSION first, then commands whose replies are matched by {@code msg_id}; the socket is
 * read by the waiting caller itself or, once the server may send requests at any time, by one reader thread
 * ({@link ClientReceiver}).
 */
final class ClientConnection implements AutoCloseable {

    /**
     * A decoded reply and the descriptors that came with it (owned by the caller).
     *
     * @param <R>   the reply type
     * @param reply the reply
     * @param fds   its descriptors
     */
    record Response<R extends Reply>(R reply, List<Fd> fds) {
    }

    /** The id of VERSION, the first command (ids of later commands start at 1). */
    private static final int VERSION_ID = 0;

    private final MessageChannel channel;
    private final MessageDecoder decoder;
    private final Duration timeout;
    private final ReplyRouter router = new ReplyRouter();
    private final MsgIds ids = new MsgIds(VERSION_ID + 1);
    private final ClientReceiver receiver;
    private final RegionReads regionReads;
    private volatile Version serverVersion;
    private volatile Session session;

    /**
     * Even the VERSION reply is waited for with the timeout: a server busy with another client accepts the
     * connection and never answers (vfio-user-interop.md L8). The inbound limits are our own proposal's, which
     * negotiation does not change (they are what we told the server).
     */
    private ClientConnection(final MessageChannel channel, final MappedRanges memory, final Duration timeout) {
        this.channel = channel;
        this.decoder = new MessageDecoder(channel.inboundLimits());
        this.timeout = timeout;
        channel.receiveRepliesDirect(Command.MIG_DATA_READ);
        channel.receiveInPlace(Command.REGION_READ, true);
        this.receiver = new ClientReceiver(channel, decoder, router, memory);
        this.regionReads = new RegionReads(this, channel, router, ids, receiver, timeout);
    }

    /** Bounds the rest of a message once its first byte came (see {@link ClientReceiver}). */
    private static MessageChannel bounded(final MessageChannel channel, final Duration timeout)
            throws DeviceException {
        try {
            channel.socket().setReceiveTimeout(timeout);
            return channel;
        } catch (final IOException e) {
            channel.close();
            throw new DeviceException(Errno.EIO, "SO_RCVTIMEO: " + e.getMessage(), e);
        }
    }

    /**
     * Specification "Connection Initiation": VERSION is the first message. Its reply is awaited like any other,
     * within the reply timeout; on any failure the connection is closed.
     *
     * @throws DeviceException the server's errno if it refused; ETIMEDOUT without a reply in time; EPROTO for a
     *                         reply that breaks the negotiation rules; EIO if the connection failed
     */
    static ClientConnection negotiate(final MessageChannel channel, final ClientOptions options,
            final MappedRanges memory) throws DeviceException {
        final ClientConnection c = new ClientConnection(bounded(channel, options.replyTimeout()), memory,
                options.replyTimeout());
        try {
            c.handshake(Version.of(Version.MAJOR, Version.MINOR, options.proposal()));
            return c;
        } catch (final DeviceException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void handshake(final Version proposal) throws DeviceException {
        final Response<Version> r = exchange(VERSION_ID, proposal.command(),
                () -> channel.send(MessageEncoder.command(VERSION_ID, proposal), List.of()), Version.class);
        final NegotiationOutcome o = Negotiation.clientAccept(proposal, r.reply(), r.fds().size());
        r.fds().forEach(Fd::close);
        switch (o) {
            case NegotiationOutcome.Rejected x -> throw new DeviceException(Errno.EPROTO, x.reason());
            case NegotiationOutcome.Negotiated n -> {
                serverVersion = r.reply();
                session = n.session();
                channel.sizeBuffersFor(Math.max(session.clientMaxDataXferSize(), session.serverMaxDataXferSize()));
            }
        }
    }

    Session session() {
        return session;
    }

    Version serverVersion() {
        return serverVersion;
    }

    /** @return the largest data count one message may carry in both directions */
    long maxDataPiece() {
        return Math.min(session.clientMaxDataXferSize(), session.serverMaxDataXferSize());
    }

    /**
     * Sends a command and waits for its reply.
     *
     * @throws DeviceException the server's errno; ETIMEDOUT if no reply came in time; EIO if the connection
     *                         failed; EPROTO for a reply that does not decode or does not answer the command
     */
    <R extends Reply> Response<R> call(final Request request, final List<Fd> fds, final Class<R> type)
            throws DeviceException {
        final int id = ids.next();
        return exchange(id, request.command(), () -> channel.send(MessageEncoder.command(id, request), fds), type);
    }

    /**
     * Like {@link #call}, for a command whose data is sent from the caller's memory without a Java copy (one
     * gather {@code sendmsg}: header, {@code fields}, {@code data}; MIG_DATA_WRITE).
     */
    <R extends Reply> Response<R> callGather(final Command command, final ByteBuffer fields, final MemorySegment data,
            final Class<R> type) throws DeviceException {
        final int id = ids.next();
        return exchange(id, command, () -> channel.sendCommand(id, command, fields, data), type);
    }

    /**
     * A command on the wire whose reply is collected later ({@link #finish}, {@link #finishMigDataRead}) or
     * dropped ({@link #discard}): the migration stream keeps several MIG_DATA_WRITEs, or one MIG_DATA_READ ahead,
     * in flight. The server still handles them one at a time and answers in order (specification "Command
     * Concurrency"); the replies are matched by {@code msg_id}.
     *
     * @param id      the command's {@code msg_id}
     * @param command the command
     * @param reply   completed with the reply by whoever reads the socket
     */
    record InFlight(int id, Command command, CompletableFuture<Incoming> reply) {
    }

    /** Sends MIG_DATA_WRITE-like gathered data (see {@link #callGather}) without waiting for its reply. */
    InFlight startGather(final Command command, final ByteBuffer fields, final MemorySegment data)
            throws DeviceException {
        final int id = ids.next();
        return start(id, command, () -> channel.sendCommand(id, command, fields, data));
    }

    /** Sends a command without waiting for its reply. */
    InFlight start(final Request request) throws DeviceException {
        final int id = ids.next();
        return start(id, request.command(), () -> channel.send(MessageEncoder.command(id, request), List.of()));
    }

    /**
     * Waits (within the reply timeout) for the reply of a command sent by {@link #startGather} or {@link #start}.
     *
     * @throws DeviceException as {@link #call}
     */
    <R extends Reply> Response<R> finish(final InFlight f, final Class<R> type) throws DeviceException {
        final Incoming in = await(f);
        return decodeReply(f.command(), in instanceof Incoming.Loaned l ? l.toMessage() : (Incoming.Message) in,
                type);
    }

    /** Gives up on the reply of {@code f} without waiting (a lent buffer it holds, or will hold, is released). */
    void discard(final InFlight f) {
        router.abandon(f.id(), f.reply());
    }

    /** Puts one command on the wire (its reply is already expected). */
    @FunctionalInterface
    private interface Sender {
        void send() throws IOException;
    }

    private <R extends Reply> Response<R> exchange(final int id, final Command command, final Sender sender,
            final Class<R> type) throws DeviceException {
        final Incoming in = roundTrip(id, command, sender);
        return decodeReply(command, in instanceof Incoming.Loaned l ? l.toMessage() : (Incoming.Message) in, type);
    }

    /**
     * MIG_DATA_READ whose data goes from the reply straight into {@code dst}: the receiver takes the reply's
     * payload into the channel's lent buffer (no frame, no decode copy), this thread copies the data out once.
     *
     * @return the reply's {@code size}: bytes of migration data put into {@code dst}
     * @throws DeviceException as {@link #call}; EPROTO for more data than asked for or than {@code dst} takes
     */
    int migDataReadInto(final MigDataRead request, final ByteBuffer dst) throws DeviceException {
        return finishMigDataRead(startMigDataRead(request.size()), request, dst);
    }

    /**
     * Sends a MIG_DATA_READ of {@code size} bytes without waiting for its reply, laid out in the channel's reused
     * send buffer ({@link dev.tern.vfiouser.transport.LaidOutSender}: no frame, no array).
     */
    InFlight startMigDataRead(final int size) throws DeviceException {
        final int id = ids.next();
        return start(id, Command.MIG_DATA_READ, () -> sendMigDataRead(id, size));
    }

    private void sendMigDataRead(final int id, final int size) throws IOException {
        final ByteBuffer out = channel.laidOut().layOut(MigDataRead.SIZE);
        try {
            MigDataRead.write(out, Header.SIZE, size);
            channel.laidOut().send(id, Command.MIG_DATA_READ.code(), Header.TYPE_COMMAND, 0);
        } finally {
            channel.laidOut().end();
        }
    }

    /**
     * The second half of {@link #migDataReadInto}: waits for the reply of {@code f}, a {@code request} sent by
     * {@link #start}, and puts its data into {@code dst}.
     */
    int finishMigDataRead(final InFlight f, final MigDataRead request, final ByteBuffer dst)
            throws DeviceException {
        final Command command = request.command();
        final Incoming in = await(f);
        final int n;
        if (in instanceof Incoming.Loaned l) {
            try {
                n = MigDataReadReply.dataSize(l.payload());
                check(command, request, n, dst);
                // absolute: no slice of the lent buffer (its position is 0, the data after the 8 bytes of fields)
                dst.put(dst.position(), l.payload(), MigDataRead.SIZE, n).position(dst.position() + n);
            } finally {
                l.release();
            }
        } else {
            final MigDataReadReply r = decodeReply(command, (Incoming.Message) in, MigDataReadReply.class).reply();
            n = r.size();
            check(command, request, n, dst);
            dst.put(r.data().asReadOnlyBuffer().limit(n));
        }
        return n;
    }

    private static void check(final Command command, final MigDataRead request, final int n, final ByteBuffer dst)
            throws DeviceException {
        if (n < 0 || n > request.size() || n > dst.remaining()) {
            throw new DeviceException(Errno.EPROTO, command + ": " + (n < 0 ? "malformed reply"
                    : "reply of " + n + " bytes for " + request.size()));
        }
    }

    /** Sends a command and waits for its reply (framed or lent), within the reply timeout. */
    private Incoming roundTrip(final int id, final Command command, final Sender sender) throws DeviceException {
        return await(start(id, command, sender));
    }

    /** Expects the reply to {@code id}, then sends the command. */
    private InFlight start(final int id, final Command command, final Sender sender) throws DeviceException {
        try {
            final CompletableFuture<Incoming> f = router.expect(id);
            try {
                sender.send();
            } catch (final IOException e) {
                router.cancel(id);
                throw e;
            } catch (final IllegalStateException e) {
                // the receiver closed the socket (the server broke the framing) between expect and send
                router.cancel(id);
                throw new IOException("connection closed: " + e.getMessage(), e);
            }
            return new InFlight(id, command, f);
        } catch (final IOException e) {
            throw new DeviceException(Errno.EIO, command + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the reply (framed or lent) of a command on the wire, within the reply timeout. */
    private Incoming await(final InFlight f) throws DeviceException {
        try {
            final long deadline = System.nanoTime() + timeout.toNanos();
            try {
                receiver.readUntil(f.reply()::isDone, deadline);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt(); // awaitAny gives up on the reply and reports it
            }
            return router.awaitAny(f.id(), f.reply(), deadline - System.nanoTime(), timeout);
        } catch (final ReplyRouter.NoReplyException e) {
            throw new DeviceException(Errno.ETIMEDOUT, f.command() + ": " + e.getMessage()
                    + (f.id() == VERSION_ID ? " (a vfio-user server serves one client at a time: is another client"
                            + " connected?)" : ""), e);
        } catch (final IOException e) {
            throw new DeviceException(Errno.EIO, f.command() + ": " + e.getMessage(), e);
        }
    }

    <R extends Reply> Response<R> decodeReply(final Command command, final Incoming.Message m,
            final Class<R> type) throws DeviceException {
        final DecodeResult d = decoder.decode(m.frame());
        if (d instanceof Decoded ok && ok.message() instanceof ErrorReply e) {
            m.closeFds();
            throw new DeviceException(e.errno(), command + " refused by the server");
        }
        if (d instanceof Decoded ok && type.isInstance(ok.message()) && ok.message().command() == command) {
            return new Response<>(type.cast(ok.message()), m.fds());
        }
        m.closeFds();
        throw new DeviceException(Errno.EPROTO, command + ": " + (d instanceof Malformed x
                ? "malformed reply: " + x.reason() : "unexpected reply " + d));
    }

    /**
     * REGION_READ of {@code count} bytes (at most {@link #maxDataPiece()}) into {@code dst[at]}, allocating nothing
     * in steady state ({@link RegionReads}).
     *
     * @throws DeviceException as {@link #call}; EPROTO for a reply of another length than asked for
     */
    void readRegionInto(final int region, final long offset, final MemorySegment dst, final long at, final int count)
            throws DeviceException {
        regionReads.read(region, offset, dst, at, count);
    }

    /** From now on the server's DMA_READ / DMA_WRITE are served at any time (a DMA map without an fd). */
    void serveServerRequests() {
        receiver.startReader();
    }

    @Override
    public void close() {
        channel.close();
        receiver.close();
    }
}
