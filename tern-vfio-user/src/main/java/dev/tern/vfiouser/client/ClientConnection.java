package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DecodeResult;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.DmaRead;
import dev.tern.vfiouser.codec.DmaReadReply;
import dev.tern.vfiouser.codec.DmaWrite;
import dev.tern.vfiouser.codec.DmaWriteReply;
import dev.tern.vfiouser.codec.ErrorReply;
import dev.tern.vfiouser.codec.Frame;
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
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client's connection: VERSION first, then a reader thread that routes replies to the waiting callers by
 * {@code msg_id} and answers the server's DMA_READ / DMA_WRITE from {@link MappedRanges} itself (so it never waits
 * for anything but the socket: the client half of the deadlock rules in the server's {@code ClientSession}).
 */
final class ClientConnection implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

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
    private final MappedRanges memory;
    private final Duration timeout;
    private final ReplyRouter router = new ReplyRouter();
    private final MsgIds ids = new MsgIds(VERSION_ID + 1);
    private final Thread reader;
    private volatile Version serverVersion;
    private volatile Session session;

    /**
     * Starts the reader before VERSION, so that even the VERSION reply is waited for with the timeout: a server
     * busy with another client accepts the connection and never answers (vfio-user-interop.md L8). The inbound
     * limits are our own proposal's, which negotiation does not change (they are what we told the server).
     */
    private ClientConnection(final MessageChannel channel, final MappedRanges memory, final Duration timeout) {
        this.channel = channel;
        this.decoder = new MessageDecoder(channel.inboundLimits());
        this.memory = memory;
        this.timeout = timeout;
        channel.receiveRepliesDirect(Command.MIG_DATA_READ);
        this.reader = Thread.ofPlatform().daemon().name("vfio-user-client-reader").start(this::readLoop);
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
        final ClientConnection c = new ClientConnection(channel, memory, options.replyTimeout());
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
     * MIG_DATA_READ whose data goes from the reply straight into {@code dst}: the reader receives the reply's
     * payload into the channel's lent buffer (no frame, no decode copy), this thread copies the data out once.
     *
     * @return the reply's {@code size}: bytes of migration data put into {@code dst}
     * @throws DeviceException as {@link #call}; EPROTO for more data than asked for or than {@code dst} takes
     */
    int migDataReadInto(final MigDataRead request, final ByteBuffer dst) throws DeviceException {
        final int id = ids.next();
        final Command command = request.command();
        final Incoming in = roundTrip(id, command, () -> channel.send(MessageEncoder.command(id, request),
                List.of()));
        final int n;
        final ByteBuffer data;
        if (in instanceof Incoming.Loaned l) {
            try {
                n = MigDataReadReply.dataSize(l.payload());
                data = n < 0 ? null : l.payload().slice(MigDataRead.SIZE, n);
                checkAndPut(command, request, n, data, dst);
            } finally {
                l.release();
            }
        } else {
            final MigDataReadReply r = decodeReply(command, (Incoming.Message) in, MigDataReadReply.class).reply();
            n = r.size();
            checkAndPut(command, request, n, r.data().asReadOnlyBuffer().limit(Math.max(0, n)), dst);
        }
        return n;
    }

    private static void checkAndPut(final Command command, final MigDataRead request, final int n,
            final ByteBuffer data, final ByteBuffer dst) throws DeviceException {
        if (n < 0 || n > request.size() || n > dst.remaining()) {
            throw new DeviceException(Errno.EPROTO, command + ": " + (n < 0 ? "malformed reply"
                    : "reply of " + n + " bytes for " + request.size()));
        }
        dst.put(data);
    }

    /** Sends a command and waits for its reply (framed or lent), within the reply timeout. */
    private Incoming roundTrip(final int id, final Command command, final Sender sender) throws DeviceException {
        try {
            final CompletableFuture<Incoming> f = router.expect(id);
            try {
                sender.send();
            } catch (final IOException e) {
                router.cancel(id);
                throw e;
            } catch (final IllegalStateException e) {
                // the reader closed the socket (the server broke the framing) between expect and send
                router.cancel(id);
                throw new IOException("connection closed: " + e.getMessage(), e);
            }
            return router.awaitAny(id, f, timeout);
        } catch (final ReplyRouter.NoReplyException e) {
            throw new DeviceException(Errno.ETIMEDOUT, command + ": " + e.getMessage()
                    + (id == VERSION_ID ? " (a vfio-user server serves one client at a time: is another client"
                            + " connected?)" : ""), e);
        } catch (final IOException e) {
            throw new DeviceException(Errno.EIO, command + ": " + e.getMessage(), e);
        }
    }

    private <R extends Reply> Response<R> decodeReply(final Command command, final Incoming.Message m,
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

    private void readLoop() {
        while (true) {
            final Incoming in = channel.receive();
            switch (in) {
                case Incoming.Message m when m.frame().header().isReply() -> {
                    if (!router.complete(m)) {
                        m.closeFds();
                        LOG.log(Level.DEBUG, "unsolicited reply {0} ignored", m.frame().header());
                    }
                }
                case Incoming.Message m -> {
                    m.closeFds();
                    serve(m.frame());
                }
                case Incoming.Loaned l -> {
                    if (!router.complete(l)) {
                        l.release();
                        LOG.log(Level.DEBUG, "unsolicited reply {0} ignored", l.header());
                    }
                }
                case Incoming.Refused r -> {
                    if (r.header().isReply()) {
                        router.fail(r.header().msgId(), "reply refused: " + r.reason());
                    } else {
                        reply(r.header(), null, r.errno());
                    }
                    if (r.fatal()) {
                        router.closeAll("connection closed: " + r.reason());
                        close();
                        return;
                    }
                }
                case Incoming.Closed c -> {
                    router.closeAll("server closed the connection: " + c.reason());
                    return;
                }
            }
        }
    }

    /** The server's DMA_READ / DMA_WRITE (specification "VFIO_USER_DMA_READ/WRITE"), answered from guest memory. */
    private void serve(final Frame frame) {
        final DecodeResult d = decoder.decode(frame);
        switch (d) {
            case Malformed x -> reply(frame.header(), null, x.errno());
            case Decoded ok when ok.message() instanceof DmaRead r -> {
                final byte[] bytes = new byte[(int) r.count()];
                final int errno = memory.read(r.addr(), MemorySegment.ofArray(bytes));
                reply(frame.header(), errno == 0 ? new DmaReadReply(r.addr(), Blob.wrap(bytes)) : null, errno);
            }
            case Decoded ok when ok.message() instanceof DmaWrite w -> {
                final int errno = memory.write(w.addr(), MemorySegment.ofBuffer(w.data().asReadOnlyBuffer()));
                reply(frame.header(), errno == 0 ? DmaWriteReply.of(w) : null, errno);
            }
            case Decoded ok -> reply(frame.header(), null, Errno.EINVAL);
        }
    }

    private void reply(final Header h, final Reply reply, final int errno) {
        if (!h.isCommand() || h.noReply()) {
            return;
        }
        try {
            channel.send(reply != null ? MessageEncoder.reply(h.msgId(), reply) : MessageEncoder.errorFor(h, errno),
                    List.of());
        } catch (final IOException e) {
            LOG.log(Level.DEBUG, "reply to {0} failed: {1}", h, e.getMessage());
        }
    }

    @Override
    public void close() {
        channel.close();
        if (Thread.currentThread() != reader) {
            try {
                reader.join(5000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
