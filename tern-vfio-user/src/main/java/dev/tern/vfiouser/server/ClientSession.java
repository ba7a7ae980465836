package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.DecodeResult;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.Malformed;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataWrite;
import dev.tern.vfiouser.codec.Negotiation;
import dev.tern.vfiouser.codec.NegotiationOutcome;
import dev.tern.vfiouser.codec.Request;
import dev.tern.vfiouser.codec.Session;
import dev.tern.vfiouser.codec.Version;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import dev.tern.vfiouser.transport.MsgIds;
import dev.tern.vfiouser.transport.ReplyRouter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection: VERSION negotiation, then a reader thread and a dispatcher (the thread that called
 * {@link #run()}), then cleanup.
 * <p>
 * <b>Threads and deadlock rules</b> (single socket, no twin socket; libvfio-user issue #279):
 * <ol>
 * <li>The reader thread only reads. A reply (to the server's DMA_READ/DMA_WRITE) is handed to the waiting device
 * thread by {@code msg_id} ({@link ReplyRouter}); a client command is queued for the dispatcher. It never waits for
 * the dispatcher or a device, so a device thread waiting for a DMA reply - even the dispatcher itself, inside a
 * region write that makes the device do DMA - always gets it.</li>
 * <li>Client commands are handled one at a time, in arrival order (specification "Command Concurrency"). A
 * command whose handler never waits ({@link InlineCommands}: region reads, GETs, MIG_DATA_READ; MIG_DATA_WRITE when
 * it was received into the lent buffer) is handled and
 * answered on the reader thread itself when no earlier command is still queued or being handled - one thread per
 * round trip instead of two, and still in order, since the dispatcher counts a command as finished only once its
 * reply is sent. Every other command, and every command behind one, goes to the dispatcher, so a command that may
 * wait for the client (a region write making the device do DMA) never blocks the reader.</li>
 * <li>The queue is bounded in messages and in bytes, headers included ({@link ServerConfig#maxQueuedMessages()},
 * {@link ServerConfig#maxQueuedBytes()}); when it is full the reader stops reading the socket until the dispatcher
 * catches up, so a client that floods commands without reading replies is slowed to the server's pace (the kernel's
 * socket buffers fill and its sends block) instead of growing the heap. A DMA reply stuck behind such a flood is
 * what {@link ServerConfig#dmaTimeout()} is for.</li>
 * <li>The client must answer DMA_READ/DMA_WRITE without waiting for the replies to its own commands (Tern's client
 * answers them on its reader thread); a client that does not is cut off by {@link ServerConfig#dmaTimeout()}: the
 * device's DMA fails with EIO, the server stays up.</li>
 * </ol>
 * Nothing the client sends ends the server: malformed input becomes an error reply (or, when the stream cannot be
 * resynchronised, a closed connection); any {@link Throwable} on the reader or the dispatcher (an
 * {@link OutOfMemoryError} included) ends this session only; {@link #overdue} lets the server close a client that
 * does not finish VERSION or a message in time; and on disconnect the DMA mappings, eventfds and dirty logging of this
 * client are released; the device and its migration state stay ("Client Disconnection").
 */
final class ClientSession implements Runnable {
    private static final System.Logger LOG = System.getLogger(ClientSession.class.getName());

    /** Work for the dispatcher. */
    private sealed interface Work {
        record Command(Incoming.Message message) implements Work {
        }

        record Refusal(Incoming.Refused refused) implements Work {
        }

        record End(String reason) implements Work {
        }
    }

    private final MessageChannel channel;
    private final ServedDevice served;
    private final ServerConfig config;
    private final ReplyRouter router = new ReplyRouter();
    private final ArrayBlockingQueue<Work> queue;
    private final Semaphore queuedBytes;
    /** Commands queued for the dispatcher and not yet answered; see the class documentation, rule 2. */
    private final AtomicInteger unfinished = new AtomicInteger();
    private final long acceptedNanos = System.nanoTime();
    private volatile boolean negotiated;

    private final Incoming first;

    /**
     * @param first the connection's first message if the server read it already (a newcomer that waited for the
     *              slot), else null
     */
    ClientSession(final MessageChannel channel, final ServedDevice served, final ServerConfig config,
            final Incoming first) {
        this.first = first;
        this.channel = channel;
        this.served = served;
        this.config = config;
        this.queue = new ArrayBlockingQueue<>(config.maxQueuedMessages());
        this.queuedBytes = new Semaphore((int) config.maxQueuedBytes());
    }

    /**
     * @param now {@link System#nanoTime()}
     * @return why this client is overdue (no VERSION within the handshake deadline, a message taking longer than
     *         the message deadline), or null
     */
    String overdue(final long now) {
        if (!negotiated && now - acceptedNanos > config.handshakeTimeout().toNanos()) {
            return "no VERSION within " + config.handshakeTimeout().toMillis() + " ms";
        }
        final long started = channel.messageStartedNanos();
        if (started != 0 && now - started > config.messageTimeout().toNanos()) {
            return "a message took longer than " + config.messageTimeout().toMillis() + " ms to arrive";
        }
        return null;
    }

    /** Ends the session from another thread: the reader wakes up with the connection closed. */
    void abort() {
        channel.close();
    }

    @Override
    public void run() {
        try {
            final NegotiationOutcome.Negotiated n = negotiate();
            if (n != null) {
                serve(n);
            }
        } finally {
            channel.close();
        }
    }

    /** Specification "Connection Initiation": the first message must be VERSION; anything else ends the session. */
    private NegotiationOutcome.Negotiated negotiate() {
        final Incoming.Message m;
        switch (first != null ? first : channel.receive()) {
            case Incoming.Closed c -> {
                return null;
            }
            case Incoming.Refused r -> {
                replyError(r.header(), r.errno(), "before VERSION: " + r.reason());
                return null;
            }
            case Incoming.Message msg -> m = msg;
            case Incoming.Loaned l -> m = l.toMessage();
            case Incoming.InPlace p -> m = p.toMessage();
        }
        m.closeFds();
        final Header h = m.frame().header();
        final DecodeResult d = new MessageDecoder(channel.inboundLimits()).decode(m.frame());
        if (!(d instanceof Decoded ok) || !h.isCommand() || !(ok.message() instanceof Version proposal)) {
            replyError(h, Errno.EINVAL, "the first message must be VERSION: " + d);
            return null;
        }
        final NegotiationOutcome o = Negotiation.serverReply(proposal, config.offer());
        if (o instanceof NegotiationOutcome.Rejected r) {
            replyError(h, r.errno(), r.reason());
            return null;
        }
        final NegotiationOutcome.Negotiated n = (NegotiationOutcome.Negotiated) o;
        try {
            channel.send(MessageEncoder.reply(h.msgId(), n.reply()), List.of());
        } catch (final IOException e) {
            LOG.log(Level.DEBUG, "VERSION reply failed: {0}", e.getMessage());
            return null;
        }
        channel.setInboundLimits(n.session().serverInboundLimits());
        channel.sizeBuffersFor(Math.max(n.session().clientMaxDataXferSize(), n.session().serverMaxDataXferSize()));
        negotiated = true;
        return n;
    }

    private void serve(final NegotiationOutcome.Negotiated n) {
        final Session s = n.session();
        LOG.log(Level.INFO, "{0}: session starts (vfio-user 0.{1})", served.device().kind(), s.minor());
        final MessageDecoder decoder = new MessageDecoder(s.serverInboundLimits());
        final boolean ternProposed = n.reply().capabilities().flatMap(Capabilities::tern).isPresent();
        final SocketDmaChannel messages = new SocketDmaChannel(channel, router, new MsgIds(0x8000), decoder,
                Math.min(s.clientMaxDataXferSize(), s.serverMaxDataXferSize()), config.dmaTimeout());
        final DmaHandler dma = new DmaHandler(served.device().dma(), messages, s.maxDmaMaps());
        final IrqHandler irqs = new IrqHandler(served.device());
        final CommandDispatcher dispatcher = new CommandDispatcher(served, dma, irqs,
                new FeatureHandler(served, s.tern(), ternProposed, config.faultInjection(),
                        Math.min(s.clientMaxDataXferSize(), s.serverMaxDataXferSize())),
                new MigrationDataHandler(served, s.clientMaxDataXferSize()));
        channel.receiveCommandsDirect(Command.MIG_DATA_WRITE);
        channel.receiveInPlace(Command.REGION_READ, false);
        channel.receiveInPlace(Command.MIG_DATA_READ, false);
        final CommandRunner runner = new CommandRunner(channel, dispatcher, decoder);
        final Thread reader = Thread.ofPlatform().daemon().name("vfio-user-reader")
                .start(() -> readLoopGuarded(runner));
        try {
            dispatchLoop(runner, reader);
        } finally {
            channel.close();
            reader.interrupt(); // it may wait for queue space the dispatcher will never free now
            router.closeAll("client disconnected");
            dma.close();
            irqs.close();
            served.engine().stopDirtyLogging();
            joinQuietly(reader);
            queue.forEach(w -> {
                if (w instanceof Work.Command c) {
                    c.message().closeFds();
                }
            });
        }
    }

    private void readLoopGuarded(final CommandRunner runner) {
        try {
            readLoop(runner);
        } catch (final InterruptedException e) {
            // the session ended while the queue was full
        } catch (final Throwable t) { // an Error too: it ends this session, never the server
            LOG.log(Level.WARNING, "vfio-user reader failed; ending the session", t);
            channel.close();
        }
    }

    private void readLoop(final CommandRunner runner) throws InterruptedException {
        while (true) {
            final Incoming in = channel.receive();
            switch (in) {
                case Incoming.Message m when m.frame().header().isReply() -> {
                    if (!router.complete(m)) {
                        m.closeFds();
                        LOG.log(Level.DEBUG, "unsolicited reply {0} ignored", m.frame().header());
                    }
                }
                case Incoming.Loaned l when l.header().isCommand() -> {
                    if (unfinished.get() == 0) {
                        runner.handleLent(l);
                    } else {
                        enqueue(l.toMessage());
                    }
                }
                case Incoming.Loaned l -> {
                    if (!router.complete(l)) {
                        l.release();
                    }
                }
                case Incoming.InPlace p when !p.isReply() && unfinished.get() == 0 -> runner.handleInPlace(p);
                case Incoming.InPlace p when !p.isReply() -> enqueue(p.toMessage());
                case Incoming.InPlace p -> {
                    if (!router.complete(p.toMessage())) {
                        LOG.log(Level.DEBUG, "unsolicited reply {0} ignored", p.header());
                    }
                }
                case Incoming.Message m when unfinished.get() == 0 && InlineCommands.neverBlocks(m.frame()) ->
                    runner.handle(m);
                case Incoming.Message m -> enqueue(m);
                case Incoming.Refused r -> {
                    if (r.header().isReply()) {
                        router.fail(r.header().msgId(), "reply refused: " + r.reason());
                    } else {
                        unfinished.incrementAndGet();
                        queue.put(new Work.Refusal(r));
                    }
                    if (r.fatal()) {
                        queue.put(new Work.End("unrecoverable framing error: " + r.reason()));
                        return;
                    }
                }
                case Incoming.Closed c -> {
                    router.closeAll(c.reason());
                    queue.put(new Work.End(c.reason()));
                    return;
                }
            }
        }
    }

    /** Back-pressure: waits (not reading the socket) until the command fits the queue's message and byte bounds. */
    private void enqueue(final Incoming.Message m) throws InterruptedException {
        final int cost = cost(m);
        try {
            queuedBytes.acquire(cost);
        } catch (final InterruptedException e) {
            m.closeFds();
            throw e;
        }
        unfinished.incrementAndGet();
        try {
            queue.put(new Work.Command(m));
        } catch (final InterruptedException e) {
            unfinished.decrementAndGet();
            queuedBytes.release(cost);
            m.closeFds();
            throw e;
        }
    }

    /** @return the bytes a queued command counts for: its whole message, header included */
    private int cost(final Incoming.Message m) {
        return (int) Math.min(m.frame().header().messageSize(), config.maxQueuedBytes());
    }

    private void dispatchLoop(final CommandRunner runner, final Thread reader) {
        while (true) {
            final Work w;
            try {
                w = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (w == null) {
                if (!reader.isAlive() && queue.isEmpty()) {
                    return; // the reader failed without a word (see readLoopGuarded)
                }
                continue;
            }
            switch (w) {
                case Work.End e -> {
                    LOG.log(Level.INFO, "{0}: session ends: {1}", served.device().kind(), e.reason());
                    return;
                }
                case Work.Refusal r -> {
                    replyError(r.refused().header(), r.refused().errno(), r.refused().reason());
                    unfinished.decrementAndGet();
                }
                case Work.Command c -> {
                    queuedBytes.release(cost(c.message()));
                    runner.handle(c.message());
                    unfinished.decrementAndGet(); // after the reply went out: see readLoop
                }
            }
        }
    }

    private void replyError(final Header h, final int errno, final String reason) {
        LOG.log(Level.INFO, "error reply to {0}: {1} ({2})", h, Errno.name(errno), reason);
        if (!h.isCommand() || h.noReply()) {
            return;
        }
        try {
            channel.send(MessageEncoder.errorFor(h, errno), List.of());
        } catch (final IOException e) {
            channel.close();
        }
    }

    private static void joinQuietly(final Thread t) {
        try {
            t.join(5000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the limits a server applies before VERSION: the offer's sizes, and no fds (VERSION carries none) */
    static CodecLimits preNegotiationLimits(final ServerConfig config) {
        return CodecLimits.forDataXfer(config.offer().maxDataXferSize(), 0);
    }
}
