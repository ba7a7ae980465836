package dev.tern.migration.channel;

import dev.tern.migration.channel.SessionAssembly.Answered;
import dev.tern.migration.channel.SessionAssembly.Arrival;
import dev.tern.migration.channel.SessionAssembly.Handshake;
import dev.tern.migration.channel.SessionAssembly.Refusal;
import dev.tern.migration.wire.Preamble;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.Records;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The destination's end: listens for migration sessions. {@link #accept(Duration)} forms one session.
 * <pre>
 *  selector thread (the caller of accept)        one virtual thread per accepted socket
 *  --------------------------------------        ---------------------------------------
 *  select(OP_ACCEPT, time left) --accept--&gt;      [TLS handshake] + Preamble.read, both
 *                                                bounded by the accept deadline
 *  SessionAssembly.offer(arrival) &lt;--queue, wakeup-- Arrival(connection, preamble) | failure
 *  complete? --&gt; Session
 * </pre>
 * A slow or silent connection therefore never holds up the others, and connections of any session but the one
 * being formed are rejected and closed. Sessions are formed one at a time; between calls to {@code accept}
 * connections wait in the backlog.
 */
public final class MigrationListener implements Closeable {
    /** Bound on one query connection's preamble, proof and answer while queries are served. */
    private static final long QUERY_HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ServerSocketChannel server;
    private final Selector selector;
    private final SSLContext tls;
    private final SessionSecret secret;
    private final InetSocketAddress address;
    private volatile OutcomeQueries queries = OutcomeQueries.NONE;
    private final ReentrantLock accepting = new ReentrantLock();
    private volatile boolean closed;

    private MigrationListener(final ServerSocketChannel server, final Selector selector, final SSLContext tls,
            final SessionSecret secret) throws IOException {
        this.server = server;
        this.selector = selector;
        this.tls = tls;
        this.secret = secret;
        this.address = (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * {@return a bound listener}
     *
     * @param address where to listen; port 0 picks a free port (see {@link #address()})
     * @param tls     TLS configuration, or empty for plain TCP
     * @throws IOException if the address cannot be bound or the TLS stores cannot be loaded
     */
    public static MigrationListener bind(final InetSocketAddress address, final Optional<TlsConfig> tls)
            throws IOException {
        return bind(address, tls, Optional.empty());
    }

    /**
     * {@return a bound listener}
     *
     * @param address where to listen; port 0 picks a free port (see {@link #address()})
     * @param tls     TLS configuration, or empty for plain TCP
     * @param secret  the session secret every connection must prove ({@link SessionAuth}), or empty to accept the
     * first control connection that comes (anyone who can reach the port)
     * @throws IOException if the address cannot be bound or the TLS stores cannot be loaded
     */
    public static MigrationListener bind(final InetSocketAddress address, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret) throws IOException {
        final SSLContext context = tls.isPresent() ? tls.get().sslContext() : null;
        final ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(address, SessionAssembly.MAX_EARLY);
            server.configureBlocking(false);
            final Selector selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            return new MigrationListener(server, selector, context, secret.orElse(null));
        } catch (final IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** {@return whether connections must prove the session secret} */
    public boolean authenticated() {
        return secret != null;
    }

    /**
     * Answers QUERY connections from now on with {@code answers} (issue 9 item 13); by default none are kept.
     *
     * @param answers what became of each session, usually the destination's {@link dev.tern.migration.OutcomeStore}
     */
    public void answerQueries(final OutcomeQueries answers) {
        this.queries = answers;
    }

    /**
     * {@return the bound address, with the actual port}
     */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * Accepts one session: its control connection and as many data connections (any order) as the control
     * preamble announces, all with the control connection's session id, all within {@code timeout}.
     *
     * @param timeout bound on the whole session forming, TLS handshakes included
     * @return the session
     * @throws SocketTimeoutException if the session has not formed in time (the message says how far it got and
     *                                what was rejected); connections adopted so far are closed
     * @throws IOException            if the listener fails or is closed meanwhile
     */
    public Session accept(final Duration timeout) throws IOException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        accepting.lock();
        final Round round = new Round();
        final SessionAssembly assembly = new SessionAssembly();
        boolean formed = false;
        try {
            while (true) {
                for (Handshake h = round.events.poll(); h != null; h = round.events.poll()) {
                    assembly.offer(h);
                }
                if (assembly.complete()) {
                    formed = true;
                    return assembly.session();
                }
                if (closed) {
                    throw new AsynchronousCloseException();
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("no migration session within " + timeout.toMillis() + " ms on "
                            + address + ": " + assembly.progress());
                }
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
                selector.selectedKeys().clear();
                for (SocketChannel s = server.accept(); s != null; s = server.accept()) {
                    round.start(s, deadline);
                }
            }
        } catch (final ClosedSelectorException e) {
            throw new AsynchronousCloseException();
        } finally {
            round.close();
            if (!formed) {
                assembly.closeAll();
            }
            accepting.unlock();
        }
    }

    /**
     * Answers outcome queries ({@link #answerQueries}) and turns every other connection away, until {@code done}
     * says so, {@code max} has passed or the listener closes: what a receive does while its session runs and after,
     * so that a source in doubt after the commit point can ask (issue 9 item 13). Sessions are not formed here.
     *
     * @param max  bound on the whole call
     * @param done polled at least every 100 ms
     * @throws IOException if the listener fails
     */
    public void serveQueries(final Duration max, final java.util.function.BooleanSupplier done) throws IOException {
        final long deadline = System.nanoTime() + max.toNanos();
        accepting.lock();
        final Round round = new Round();
        try {
            while (!closed && !done.getAsBoolean()) {
                for (Handshake h = round.events.poll(); h != null; h = round.events.poll()) {
                    switch (h) {
                        case Arrival a -> {
                            SessionAssembly.closeQuietly(a.connection());
                            log(System.Logger.Level.WARNING, "turned away " + a.connection().peer()
                                    + ": the session is taken; only outcome queries are answered");
                        }
                        case Refusal r -> log(System.Logger.Level.WARNING, "rejected " + r.peer() + ": " + r.reason());
                        case Answered a -> log(System.Logger.Level.INFO, a.what() + " from " + a.peer());
                    }
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                selector.select(Math.clamp(TimeUnit.NANOSECONDS.toMillis(left), 1, 100));
                selector.selectedKeys().clear();
                for (SocketChannel s = server.accept(); s != null; s = server.accept()) {
                    round.start(s, Math.min(deadline, System.nanoTime() + QUERY_HANDSHAKE_NANOS));
                }
            }
        } catch (final ClosedSelectorException e) {
            throw new AsynchronousCloseException();
        } finally {
            round.close();
            accepting.unlock();
        }
    }

    private void log(final System.Logger.Level level, final String message) {
        System.getLogger(MigrationListener.class.getName()).log(level, message);
    }

    /** The handshake threads of one {@link #accept} call and what they report. */
    private final class Round {
        final ConcurrentLinkedQueue<Handshake> events = new ConcurrentLinkedQueue<>();
        private final Set<SocketChannel> pending = ConcurrentHashMap.newKeySet();
        private boolean over;

        void start(final SocketChannel socket, final long deadline) {
            pending.add(socket);
            Thread.ofVirtual().name("tern-migration-handshake").start(() -> {
                final Handshake outcome = handshake(socket, deadline);
                pending.remove(socket);
                post(outcome);
            });
        }

        private synchronized void post(final Handshake outcome) {
            if (over) {
                if (outcome instanceof Arrival a) {
                    SessionAssembly.closeQuietly(a.connection());
                }
                return;
            }
            events.add(outcome);
            selector.wakeup();
        }

        void close() {
            synchronized (this) {
                over = true;
            }
            for (final SocketChannel s : pending) {
                closeQuietly(s);
            }
            for (Handshake event = events.poll(); event != null; event = events.poll()) {
                if (event instanceof Arrival a) {
                    SessionAssembly.closeQuietly(a.connection());
                }
            }
        }
    }

    private Handshake handshake(final SocketChannel socket, final long deadline) {
        final String peer = Transport.peer(socket);
        try {
            Transport.tune(socket);
            final SSLSocket secure = tls == null ? null
                    : Transport.handshake(tls, socket, false, Transport.millisLeft(deadline, "the TLS handshake"));
            final Connection connection = new Connection(socket, secure);
            try {
                connection.timeout(Transport.millisLeft(deadline, "the preamble"));
                final Preamble preamble = Preamble.read(connection.timedInput());
                authenticate(connection, preamble);
                connection.timeout(0);
                if (preamble.role() == Preamble.Role.QUERY) {
                    final String answer = queries.answer(preamble.sessionId(), connection.writer());
                    SessionAssembly.closeQuietly(connection);
                    return new Answered(peer, String.format("outcome query for session %016x: %s",
                            preamble.sessionId(), answer));
                }
                return new Arrival(connection, preamble);
            } catch (final IOException | RuntimeException e) {
                SessionAssembly.closeQuietly(connection);
                throw e;
            }
        } catch (final SocketTimeoutException e) {
            closeQuietly(socket);
            return new Refusal(peer, "timed out before its preamble: " + e.getMessage());
        } catch (final IOException | RuntimeException e) {
            closeQuietly(socket);
            return new Refusal(peer, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * Checks the source's proof of the session secret when this listener has one (issue 9 item 11). A connection
     * that fails is refused and logged, and the session being formed is untouched: the listener keeps waiting for the
     * real source until its deadline.
     */
    private void authenticate(final Connection connection, final Preamble preamble) throws IOException {
        if (secret == null) {
            if (preamble.authenticated()) {
                throw new SessionAuth.Refused("offers session authentication, but this receive has no --auth-file");
            }
            return;
        }
        if (!preamble.authenticated()) {
            if (preamble.role() != Preamble.Role.DATA) {
                try {
                    // Unauthenticated records are readable by the source: say why instead of just closing.
                    connection.writer().write(RecordKind.ABORT, -1, Records.text("this receive requires session "
                            + "authentication: give migrate the receive's --auth-file"));
                } catch (final IOException e) {
                    // it learns from the closed connection instead
                }
            }
            throw new SessionAuth.Refused("no proof of the session secret (a source without --auth-file)");
        }
        connection.seal(SessionAuth.challenge(secret, preamble.encode(), connection.timedInput(),
                connection.output()));
    }

    private static void closeQuietly(final SocketChannel socket) {
        try {
            socket.close();
        } catch (final IOException ignored) {
            // rejected anyway
        }
    }

    /**
     * Stops listening; an {@link #accept} in progress ends with an {@link AsynchronousCloseException}. Idempotent
     * and never throws.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        accepting.lock();
        try {
            selector.close();
            server.close();
        } catch (final IOException e) {
            System.getLogger(MigrationListener.class.getName()).log(System.Logger.Level.DEBUG,
                    "closing listener " + address, e);
        } finally {
            accepting.unlock();
        }
    }
}
