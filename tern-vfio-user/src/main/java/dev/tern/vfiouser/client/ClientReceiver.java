package dev.tern.vfiouser.client;

import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.DecodeResult;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.DmaRead;
import dev.tern.vfiouser.codec.DmaReadReply;
import dev.tern.vfiouser.codec.DmaWrite;
import dev.tern.vfiouser.codec.DmaWriteReply;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.Malformed;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.Reply;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import dev.tern.vfiouser.transport.ReplyRouter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Who reads the client's socket, and what becomes of each message: a reply goes to the caller waiting for it
 * ({@link ReplyRouter}, by {@code msg_id}), the server's DMA_READ / DMA_WRITE is answered from {@link MappedRanges}
 * at once (so reading never waits for anything but the socket: the client half of the deadlock rules in the
 * server's {@code ClientSession}).
 * <p>
 * <b>No thread hop while nothing else must be served.</b> A caller waiting for its reply reads the socket itself,
 * under one lock (leader/follower: whoever holds it reads and routes every message, its own reply or another
 * caller's; the others wait for the lock or find their reply routed). Every wait is bounded by the caller's
 * deadline: the lock with {@code tryLock}, the first byte of a message with {@code poll(2)}; the rest of a message
 * by the socket's {@code SO_RCVTIMEO} (a server stalling in the middle of a message ends the connection: the stream
 * is out of step). A round trip then crosses no thread on this side.
 * <p>
 * <b>A reader thread once the server may send requests at any time</b>: after a DMA map without an fd
 * ({@link #startReader}), the server reaches that memory only by DMA_READ / DMA_WRITE messages, which may come when
 * no caller waits; from then on one reader thread reads, and callers wait for their futures.
 */
final class ClientReceiver {
    private static final System.Logger LOG = System.getLogger(ClientReceiver.class.getName());
    /** How long the reader thread's poll waits before checking again (it ends with the connection). */
    private static final long READER_POLL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MessageChannel channel;
    private final MessageDecoder decoder;
    private final ReplyRouter router;
    private final MappedRanges memory;
    private final ReentrantLock receiving = new ReentrantLock();
    private volatile Thread reader;
    private volatile boolean ended;

    ClientReceiver(final MessageChannel channel, final MessageDecoder decoder, final ReplyRouter router,
            final MappedRanges memory) {
        this.channel = channel;
        this.decoder = decoder;
        this.router = router;
        this.memory = memory;
    }

    /**
     * Reads and routes messages on the calling thread until {@code reply} is complete, {@code deadline} passes, the
     * connection ends, or a reader thread reads instead (then the caller waits for {@code reply} as usual).
     *
     * @param reply    whether what the caller waits for has come (its future's or its slot's {@code isDone})
     * @param deadline {@link System#nanoTime()} by which to give up
     * @throws InterruptedException if interrupted while waiting for another caller to finish reading
     */
    void readUntil(final BooleanSupplier reply, final long deadline) throws InterruptedException {
        while (!reply.getAsBoolean() && reader == null && !ended) {
            final long left = deadline - System.nanoTime();
            if (left <= 0 || !receiving.tryLock(left, TimeUnit.NANOSECONDS)) {
                return;
            }
            try {
                if (reply.getAsBoolean() || reader != null || ended
                        || !channel.awaitReadable(deadline - System.nanoTime())) {
                    return;
                }
                dispatch(channel.receive());
            } finally {
                receiving.unlock();
            }
        }
    }

    /** From now on a reader thread reads the socket, so the server's requests are served at any time. */
    synchronized void startReader() {
        if (reader == null && !ended) {
            reader = Thread.ofPlatform().daemon().name("vfio-user-client-reader").start(this::readLoop);
        }
    }

    private void readLoop() {
        while (!ended) {
            receiving.lock();
            try {
                if (!ended && channel.awaitReadable(READER_POLL_NANOS)) {
                    dispatch(channel.receive());
                }
            } finally {
                receiving.unlock();
            }
        }
    }

    /** Routes or answers one message; a closed or unrecoverable connection fails every waiting caller. */
    private void dispatch(final Incoming in) {
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
            case Incoming.InPlace p when p.isReply() -> {
                if (!router.complete(p)) {
                    LOG.log(Level.DEBUG, "unsolicited reply {0} ignored", p.header());
                }
            }
            case Incoming.InPlace p -> serve(p.toMessage().frame());
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
                    end("connection closed: " + r.reason());
                }
            }
            case Incoming.Closed c -> end("server closed the connection: " + c.reason());
        }
    }

    private void end(final String reason) {
        ended = true;
        router.closeAll(reason);
        channel.close();
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

    /** Ends reading (the channel is closed by the caller) and waits for the reader thread, if any. */
    void close() {
        ended = true;
        final Thread t = reader;
        if (t != null && Thread.currentThread() != t) {
            try {
                t.join(5000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
