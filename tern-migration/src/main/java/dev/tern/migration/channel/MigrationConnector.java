package dev.tern.migration.channel;

import dev.tern.migration.wire.Preamble;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The source's end: opens a session to a {@link MigrationListener}. The control connection goes first; the data
 * connections are then opened in parallel (one virtual thread each, so TLS handshakes overlap). Each connection
 * starts with its {@link Preamble}; the session id is random.
 */
public final class MigrationConnector {
    private static final SecureRandom RANDOM = new SecureRandom();

    private MigrationConnector() {
    }

    /**
     * {@return the session; the listener has it once it has read all the preambles}
     *
     * @param address         the listener
     * @param dataConnections one per device (0 is allowed: control only)
     * @param tls             TLS configuration, or empty for plain TCP
     * @param timeout         bound on connecting, handshakes included
     * @throws IOException if any connection cannot be made; those made are closed
     */
    public static Session connect(final InetSocketAddress address, final int dataConnections,
            final Optional<TlsConfig> tls, final Duration timeout) throws IOException {
        return connect(address, dataConnections, tls, Optional.empty(), timeout);
    }

    /**
     * As {@link #connect(InetSocketAddress, int, Optional, Duration)}, proving {@code secret} on every connection
     * ({@link SessionAuth}) when present.
     *
     * @param address         the listener
     * @param dataConnections one per device (0 is allowed: control only)
     * @param tls             TLS configuration, or empty for plain TCP
     * @param secret          the receive's session secret, or empty for an unauthenticated session
     * @param timeout         bound on connecting, handshakes included
     * @return the session
     * @throws IOException if any connection cannot be made or the destination does not hold the secret
     */
    public static Session connect(final InetSocketAddress address, final int dataConnections,
            final Optional<TlsConfig> tls, final Optional<SessionSecret> secret, final Duration timeout)
            throws IOException {
        if (dataConnections < 0 || dataConnections > Preamble.MAX_DATA_CONNECTIONS) {
            throw new IllegalArgumentException("data connections must be 0.." + Preamble.MAX_DATA_CONNECTIONS
                    + ": " + dataConnections);
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        final SSLContext context = tls.isPresent() ? tls.get().sslContext() : null;
        long id = RANDOM.nextLong();
        while (id == 0) {
            id = RANDOM.nextLong();
        }
        final SessionSecret key = secret.orElse(null);
        final Connection control = open(address, context, key, deadline, Preamble.control(id, dataConnections));
        try {
            return new Session(id, control, openData(address, context, key, deadline, id, dataConnections));
        } catch (final IOException | RuntimeException e) {
            control.abort();
            throw e;
        }
    }

    /**
     * Opens a QUERY connection asking what became of session {@code sessionId} (issue 9 item 13): the destination
     * answers with one {@code OUTCOME} record on it and closes.
     *
     * @param address the destination's listening address
     * @param sessionId the session in doubt
     * @param tls the TLS configuration, or empty for plain TCP
     * @param secret the receive's session secret, or empty
     * @param timeout the bound on connecting
     * @return the connection, its preamble (and proof) sent
     * @throws IOException if it cannot be made within {@code timeout}
     */
    public static Connection query(final InetSocketAddress address, final long sessionId,
            final Optional<TlsConfig> tls, final Optional<SessionSecret> secret, final Duration timeout)
            throws IOException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        return open(address, tls.isPresent() ? tls.get().sslContext() : null, secret.orElse(null), deadline,
                Preamble.query(sessionId));
    }

    private static List<Connection> openData(final InetSocketAddress address, final SSLContext context,
            final SessionSecret secret, final long deadline, final long id, final int count) throws IOException {
        final List<Future<Connection>> pending = new ArrayList<>(count);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                final Preamble preamble = Preamble.data(id, i, count);
                pending.add(threads.submit(() -> open(address, context, secret, deadline, preamble)));
            }
        }
        final List<Connection> data = new ArrayList<>(count);
        Throwable failure = null;
        for (final Future<Connection> f : pending) {
            try {
                data.add(f.get());
            } catch (final ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                } else {
                    failure.addSuppressed(e.getCause());
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new InterruptedIOException("interrupted while connecting");
            }
        }
        if (failure == null) {
            return data;
        }
        data.forEach(Connection::abort);
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        throw new IOException(failure);
    }

    private static Connection open(final InetSocketAddress address, final SSLContext context,
            final SessionSecret secret, final long deadline, final Preamble unsigned) throws IOException {
        final Preamble preamble = unsigned.withAuthentication(secret != null);
        final SocketChannel socket = SocketChannel.open();
        try {
            Transport.tune(socket);
            socket.socket().connect(address, Transport.millisLeft(deadline, "connecting to " + address));
            final SSLSocket secure = context == null ? null
                    : Transport.handshake(context, socket, true, Transport.millisLeft(deadline, "the TLS handshake"));
            final Connection connection = new Connection(socket, secure);
            preamble.write(connection.output());
            if (secret != null) {
                connection.timeout(Transport.millisLeft(deadline, "the session-secret challenge"));
                connection.seal(SessionAuth.prove(secret, preamble.encode(), connection.timedInput(),
                        connection.output()));
            }
            connection.timeout(0);
            return connection;
        } catch (final IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }
}
