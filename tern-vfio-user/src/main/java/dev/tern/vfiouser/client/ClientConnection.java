package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.Blob;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client's connection: VERSION first, then a reader thread that routes replies to the waiting callers by
 * {@code msg_id} and answers the server's DMA_READ / DMA_WRITE from {@link GuestMemory} itself (so it never waits
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

    private final MessageChannel channel;
    private final Version serverVersion;
    private final Session session;
    private final MessageDecoder decoder;
    private final GuestMemory memory;
    private final Duration timeout;
    private final ReplyRouter router = new ReplyRouter();
    private final MsgIds ids = new MsgIds(1);
    private final Thread reader;

    private ClientConnection(final MessageChannel channel, final Version serverVersion, final Session session,
            final GuestMemory memory, final Duration timeout) {
        this.channel = channel;
        this.serverVersion = serverVersion;
        this.session = session;
        this.decoder = new MessageDecoder(session.clientInboundLimits());
        this.memory = memory;
        this.timeout = timeout;
        channel.setInboundLimits(session.clientInboundLimits());
        this.reader = Thread.ofPlatform().daemon().name("vfio-user-client-reader").start(this::readLoop);
    }

    /** Specification "Connection Initiation": VERSION is the first message; its reply is read synchronously. */
    static ClientConnection negotiate(final MessageChannel channel, final ClientOptions options,
            final GuestMemory memory) throws DeviceException {
        final Version proposal = Version.of(Version.MAJOR, Version.MINOR, options.proposal());
        final int id = 0;
        try {
            channel.send(MessageEncoder.command(id, proposal), List.of());
        } catch (final IOException e) {
            throw new DeviceException(Errno.EIO, "VERSION could not be sent: " + e.getMessage(), e);
        }
        final Incoming in = channel.receive();
        if (!(in instanceof Incoming.Message m)) {
            throw new DeviceException(Errno.EPROTO, "no VERSION reply: " + in);
        }
        final DecodeResult d = new MessageDecoder(channel.inboundLimits()).decode(m.frame());
        final Header h = m.frame().header();
        if (!(d instanceof Decoded ok) || !h.isReply() || h.msgId() != id) {
            m.closeFds();
            throw new DeviceException(Errno.EPROTO, "bad VERSION reply " + h + ": " + d);
        }
        if (ok.message() instanceof ErrorReply e) {
            m.closeFds();
            throw new DeviceException(e.errno(), "the server refused VERSION");
        }
        if (!(ok.message() instanceof Version reply)) {
            m.closeFds();
            throw new DeviceException(Errno.EPROTO, "VERSION answered with " + ok.message().command());
        }
        final NegotiationOutcome o = Negotiation.clientAccept(proposal, reply, m.fds().size());
        m.closeFds();
        return switch (o) {
            case NegotiationOutcome.Rejected r -> throw new DeviceException(Errno.EPROTO, r.reason());
            case NegotiationOutcome.Negotiated n -> new ClientConnection(channel, reply, n.session(), memory,
                    options.replyTimeout());
        };
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
     * @throws DeviceException the server's errno; EIO if the connection failed or timed out; EPROTO for a reply
     *                         that does not decode or does not answer the command
     */
    <R extends Reply> Response<R> call(final Request request, final List<Fd> fds, final Class<R> type)
            throws DeviceException {
        final int id = ids.next();
        final Incoming.Message m;
        try {
            final CompletableFuture<Incoming.Message> f = router.expect(id);
            try {
                channel.send(MessageEncoder.command(id, request), fds);
            } catch (final IOException | RuntimeException e) {
                router.cancel(id);
                throw e;
            }
            m = router.await(id, f, timeout);
        } catch (final IOException e) {
            throw new DeviceException(Errno.EIO, request.command() + ": " + e.getMessage(), e);
        }
        final DecodeResult d = decoder.decode(m.frame());
        if (d instanceof Decoded ok && ok.message() instanceof ErrorReply e) {
            m.closeFds();
            throw new DeviceException(e.errno(), request.command() + " refused by the server");
        }
        if (d instanceof Decoded ok && type.isInstance(ok.message()) && ok.message().command() == request.command()) {
            return new Response<>(type.cast(ok.message()), m.fds());
        }
        m.closeFds();
        throw new DeviceException(Errno.EPROTO, request.command() + ": unexpected reply " + d);
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
                case Incoming.Refused r -> {
                    if (r.header().isReply()) {
                        router.fail(r.header().msgId(), "reply refused: " + r.reason());
                    } else {
                        reply(r.header(), null, r.errno());
                    }
                    if (r.fatal()) {
                        close();
                        router.closeAll("connection closed: " + r.reason());
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
