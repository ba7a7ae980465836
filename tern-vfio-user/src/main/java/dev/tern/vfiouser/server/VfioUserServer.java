package dev.tern.vfiouser.server;

import dev.tern.device.migration.MigratableDevice;
import dev.tern.sys.UnixServerSocket;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A vfio-user server hosting one SDK device on a UNIX socket (mode 0600), one client at a time (as libvfio-user's
 * {@code tran_sock}); the next client is accepted when the previous one disconnects. See {@link ClientSession} for
 * what one connection does and {@code package-info} for the behaviour where implementations differ.
 *
 * <pre>
 *  try (VfioUserServer server = VfioUserServer.listen(path, new Uart(), ServerConfig.defaults())) {
 *      server.start();   // accepts clients on a background thread
 *      ...
 *  }
 * </pre>
 */
public final class VfioUserServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VfioUserServer.class.getName());

    private final UnixServerSocket listener;
    private final ServedDevice served;
    private final ServerConfig config;
    private final AtomicReference<MessageChannel> current = new AtomicReference<>();
    private volatile boolean closed;
    private Thread thread;

    private VfioUserServer(final UnixServerSocket listener, final ServedDevice served, final ServerConfig config) {
        this.listener = listener;
        this.served = served;
        this.config = config;
    }

    /**
     * Binds the socket and wraps the device in its migration engine.
     *
     * @param socket where to listen
     * @param device the device; the server owns it from now on and closes it in {@link #close()}
     * @param config negotiation offer and limits
     * @return the server, not yet accepting ({@link #serve()} or {@link #start()})
     * @throws IOException if the socket cannot be bound (the device is then closed)
     */
    public static VfioUserServer listen(final Path socket, final MigratableDevice device, final ServerConfig config)
            throws IOException {
        Objects.requireNonNull(config, "config");
        final ServedDevice served = new ServedDevice(device);
        try {
            return new VfioUserServer(UnixServerSocket.listen(socket), served, config);
        } catch (final IOException | RuntimeException e) {
            served.close();
            throw e;
        }
    }

    /** @return the socket path */
    public Path path() {
        return listener.path();
    }

    /** @return the hosted device and its engine */
    public ServedDevice served() {
        return served;
    }

    /** Accepts and serves clients one after another until {@link #close()}. */
    public void serve() {
        while (!closed) {
            final UnixSocket socket;
            try {
                socket = listener.accept();
            } catch (final AsynchronousCloseException e) {
                return;
            } catch (final IOException e) {
                if (closed) {
                    return;
                }
                LOG.log(Level.WARNING, "accept failed: {0}", e.getMessage());
                continue;
            }
            final MessageChannel channel = new MessageChannel(socket, ClientSession.preNegotiationLimits(config));
            current.set(channel);
            if (closed) {
                channel.close();
            }
            try {
                new ClientSession(channel, served, config).run();
            } catch (final RuntimeException e) {
                LOG.log(Level.WARNING, "client session failed", e);
            } finally {
                current.set(null);
                channel.close();
            }
        }
    }

    /**
     * Runs {@link #serve()} on a background thread.
     *
     * @return this
     */
    public synchronized VfioUserServer start() {
        if (thread == null) {
            thread = Thread.ofPlatform().name("vfio-user-server " + listener.path().getFileName()).daemon()
                    .start(this::serve);
        }
        return this;
    }

    /** Stops accepting, disconnects the current client, removes the socket file and closes the device. */
    @Override
    public void close() {
        closed = true;
        listener.close();
        final MessageChannel c = current.get();
        if (c != null) {
            c.close();
        }
        final Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(10_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        served.close();
    }
}
