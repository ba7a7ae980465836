package dev.tern.vfiouser.server;

import dev.tern.device.migration.MigratableDevice;
import dev.tern.sys.Errno;
import dev.tern.sys.UnixServerSocket;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A vfio-user server hosting one SDK device on a UNIX socket (mode 0600), one client at a time (as libvfio-user's
 * {@code tran_sock}); the next client is accepted when the previous one disconnects. See {@link ClientSession} for
 * what one connection does and {@code package-info} for the behaviour where implementations differ.
 * <p>
 * <b>Nobody holds the slot by stalling.</b> A connection must deliver its VERSION within
 * {@link ServerConfig#handshakeTimeout()} and every later message, once begun, within
 * {@link ServerConfig#messageTimeout()}; a watchdog closes it otherwise. A second client that connects while the slot
 * is taken is not left waiting in silence: its VERSION is answered with EBUSY and the connection closed, unless the
 * slot frees within {@link #BUSY_GRACE} (at most
 * {@value #MAX_REFUSALS} such refusals run at once; beyond that a newcomer is closed at once). Any failure of a
 * session, an {@link Error} included, ends that session only; the server goes on serving the next client.
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
    /** Connections refused (EBUSY) concurrently; more are closed without reading their VERSION. */
    static final int MAX_REFUSALS = 4;
    /** How long a newcomer waits for a slot that is being released before it is refused. */
    static final Duration BUSY_GRACE = Duration.ofSeconds(1);

    private final UnixServerSocket listener;
    private final ServedDevice served;
    private final ServerConfig config;
    private final AtomicReference<ClientSession> current = new AtomicReference<>();
    private final Map<MessageChannel, Long> refusing = new ConcurrentHashMap<>();
    private final Semaphore refusals = new Semaphore(MAX_REFUSALS);
    private volatile boolean closed;
    private Thread thread;
    private Thread session;
    private Thread watchdog;

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

    /** {@return the socket path} */
    public Path path() {
        return listener.path();
    }

    /** {@return the hosted device and its engine} */
    public ServedDevice served() {
        return served;
    }

    /**
     * Accepts clients until {@link #close()}: the first is served on a session thread, those arriving while it is
     * served are refused.
     */
    public void serve() {
        startWatchdog();
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
            if (!tryStartSession(channel, null)) {
                refuse(channel);
            }
        }
    }

    /**
     * @param first the connection's first message if it was read already (by {@link #refuse}), else null
     * @return false if the slot is taken
     */
    private boolean tryStartSession(final MessageChannel channel, final Incoming first) {
        final ClientSession s = new ClientSession(channel, served, config, first);
        if (!current.compareAndSet(null, s)) {
            return false;
        }
        if (closed) {
            s.abort();
        }
        synchronized (this) {
            session = Thread.ofPlatform().name("vfio-user-session " + listener.path().getFileName()).daemon()
                    .start(() -> runSession(s, channel));
        }
        return true;
    }

    private void runSession(final ClientSession s, final MessageChannel channel) {
        try {
            s.run();
        } catch (final Throwable t) { // an Error too: it ends this session, never the server
            LOG.log(Level.WARNING, "client session failed; serving the next client", t);
        } finally {
            channel.close();
            current.compareAndSet(s, null);
        }
    }

    /**
     * Reads the newcomer's VERSION on its own thread (within the handshake deadline). If the slot frees within
     * {@link #BUSY_GRACE} - the previous client has just disconnected and its cleanup is still running, as when a
     * VMM reconnects - the newcomer is served; otherwise its VERSION is answered with EBUSY and it is closed.
     */
    private void refuse(final MessageChannel channel) {
        if (!refusals.tryAcquire()) {
            LOG.log(Level.DEBUG, "busy: closing a newcomer at once");
            channel.close();
            return;
        }
        refusing.put(channel, System.nanoTime() + config.handshakeTimeout().toNanos());
        Thread.ofPlatform().name("vfio-user-refusal").daemon().start(() -> {
            boolean handedOver = false;
            try {
                final Incoming first = channel.receive();
                handedOver = first instanceof Incoming.Message && awaitSlot(channel, first);
                if (!handedOver && first instanceof Incoming.Message m) {
                    m.closeFds();
                    final Header h = m.frame().header();
                    if (h.isCommand() && !h.noReply()) {
                        channel.send(MessageEncoder.errorFor(h, Errno.EBUSY), List.of());
                    }
                }
            } catch (final IOException | RuntimeException | InterruptedException e) {
                LOG.log(Level.DEBUG, "refusal failed: {0}", e.getMessage());
            } finally {
                refusing.remove(channel);
                if (!handedOver) {
                    channel.close();
                }
                refusals.release();
            }
        });
    }

    private boolean awaitSlot(final MessageChannel channel, final Incoming first) throws InterruptedException {
        final long deadline = System.nanoTime() + BUSY_GRACE.toNanos();
        while (!closed) {
            if (tryStartSession(channel, first)) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** Closes sessions and refusals past their deadlines (see the class comment). */
    private synchronized void startWatchdog() {
        if (watchdog != null) {
            return;
        }
        final long tick = Math.clamp(Math.min(config.handshakeTimeout().toMillis(),
                config.messageTimeout().toMillis()) / 4, 10, 250);
        watchdog = Thread.ofPlatform().name("vfio-user-watchdog").daemon().start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(tick);
                } catch (final InterruptedException e) {
                    return;
                }
                final long now = System.nanoTime();
                final ClientSession s = current.get();
                final String why = s == null ? null : s.overdue(now);
                if (why != null) {
                    LOG.log(Level.INFO, "closing the client: {0}", why);
                    s.abort();
                }
                refusing.forEach((c, deadline) -> {
                    if (now - deadline > 0) {
                        c.close();
                    }
                });
            }
        });
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
        final ClientSession s = current.get();
        if (s != null) {
            s.abort();
        }
        refusing.keySet().forEach(MessageChannel::close);
        final Thread[] threads;
        synchronized (this) {
            threads = new Thread[] {thread, session, watchdog};
        }
        for (final Thread t : threads) {
            if (t != null && t != Thread.currentThread()) {
                if (t == watchdog) {
                    t.interrupt();
                }
                try {
                    t.join(10_000);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        served.close();
    }
}
