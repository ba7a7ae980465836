package dev.tern.migration.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A loopback TCP proxy for fault injection: listens on 127.0.0.1, forwards every accepted connection to one
 * loopback target (it never connects anywhere else), and can cut or corrupt the source-to-destination direction.
 * <pre>
 *  source --&gt; [ proxy 127.0.0.1:p ] --&gt; target (a real listener on loopback)
 *              up pump:   offset = shared count of source-&gt;destination bytes over all connections
 *                         corruptByteAt(n): flip bit 0 of byte n; cutAfterBytes(n): forward n, then cut all
 *              down pump: destination-&gt;source, forwarded untouched
 * </pre>
 * A cut is abrupt for both ends but in a way each can observe: the destination's side gets a FIN exactly after the
 * last forwarded byte (its reader sees the stream end there: EOF at a record boundary, corrupt inside a record);
 * the source's side is reset (SO_LINGER 0), so its writes fail.
 */
public final class FaultProxy implements Closeable {
    private static final int BUFFER = 64 * 1024;

    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private volatile long cutAt = Long.MAX_VALUE;
    private volatile long corruptAt = -1;
    private volatile boolean closed;
    private volatile BooleanSupplier refuseWhile = () -> false;

    private FaultProxy(final ServerSocketChannel server, final InetSocketAddress target) {
        this.server = server;
        this.target = target;
    }

    /**
     * @param target a listener on a loopback address
     * @return a running proxy in front of it
     * @throws IOException if the proxy cannot listen
     */
    public static FaultProxy start(final InetSocketAddress target) throws IOException {
        if (target.getAddress() == null || !target.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("FaultProxy only forwards to loopback, not " + target);
        }
        final ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final FaultProxy proxy = new FaultProxy(server, target);
        Thread.ofVirtual().name("fault-proxy-accept").start(proxy::acceptLoop);
        return proxy;
    }

    /**
     * @return where sources connect
     */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (final IOException e) {
            throw new IllegalStateException("proxy is closed", e);
        }
    }

    /** Cuts every proxied connection now, both ways. Connections made later are forwarded normally. */
    public void cutAll() {
        links.forEach(Link::cut);
    }

    /**
     * Cuts every connection as soon as {@code n} bytes in total have been forwarded source to destination; if that
     * many have already gone, at the next byte. Connections made after the cut are forwarded normally.
     *
     * @param n bytes to let through
     */
    public void cutAfterBytes(final long n) {
        cutAt = n;
    }

    /**
     * Resets every new connection while {@code condition} holds (a peer that is not there yet, as far as the
     * connecting side can tell; it retries); existing connections are not affected.
     *
     * @param condition checked at each accept
     */
    public void refuseConnectionsWhile(final BooleanSupplier condition) {
        refuseWhile = condition;
    }

    /**
     * Flips one bit of the source-to-destination byte at offset {@code n} (0-based, counted over all connections).
     *
     * @param n offset of the byte to damage
     */
    public void corruptByteAt(final long n) {
        corruptAt = n;
    }

    /**
     * @return bytes forwarded source to destination so far
     */
    public long bytesForwarded() {
        return forwarded.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                final SocketChannel source = server.accept();
                if (refuseWhile.getAsBoolean()) {
                    source.setOption(StandardSocketOptions.SO_LINGER, 0);
                    source.close();
                    continue;
                }
                final SocketChannel destination;
                try {
                    destination = SocketChannel.open(target);
                } catch (final IOException e) {
                    source.setOption(StandardSocketOptions.SO_LINGER, 0);
                    source.close();
                    continue;
                }
                final Link link = new Link(source, destination);
                links.add(link);
                Thread.ofVirtual().name("fault-proxy-up").start(link::up);
                Thread.ofVirtual().name("fault-proxy-down").start(link::down);
            } catch (final IOException e) {
                return;
            }
        }
    }

    /** One proxied connection. */
    private final class Link {
        private final SocketChannel source;
        private final SocketChannel destination;
        private boolean cut;
        private volatile boolean muted;

        Link(final SocketChannel source, final SocketChannel destination) {
            this.source = source;
            this.destination = destination;
        }

        void up() {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
            try {
                while (true) {
                    buffer.clear();
                    final int n = source.read(buffer);
                    if (n < 0) {
                        destination.shutdownOutput();
                        return;
                    }
                    final long start = offered.getAndAdd(n);
                    final long allowed = Math.clamp(cutAt - start, 0, n);
                    final long damage = corruptAt - start;
                    if (damage >= 0 && damage < allowed) {
                        buffer.put((int) damage, (byte) (buffer.get((int) damage) ^ 1));
                    }
                    buffer.flip().limit((int) allowed);
                    final boolean last = allowed < n || start + n >= cutAt;
                    if (last) {
                        // Silence every answer before the last bytes go out: a fast destination could otherwise
                        // reply to them (COMMITTED to a COMMIT) before the cut below reaches the source.
                        links.forEach(Link::muteDown);
                    }
                    while (buffer.hasRemaining()) {
                        forwarded.addAndGet(destination.write(buffer));
                    }
                    if (last) {
                        // Exactly at the offset, not at the next byte: the peer may wait for an answer first.
                        cutAt = Long.MAX_VALUE;
                        cutAll();
                        return;
                    }
                }
            } catch (final IOException e) {
                cut();
            }
        }

        void down() {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
            boolean draining = false;
            try {
                while (true) {
                    buffer.clear();
                    if (destination.read(buffer) < 0) {
                        break;
                    }
                    buffer.flip();
                    try {
                        draining |= muted;
                        while (!draining && buffer.hasRemaining()) {
                            source.write(buffer);
                        }
                    } catch (final IOException sourceGone) {
                        draining = true;
                    }
                }
                if (!draining) {
                    source.shutdownOutput();
                }
            } catch (final IOException e) {
                cut();
            } finally {
                closeQuietly(destination);
                closeQuietly(source);
                links.remove(this);
            }
        }

        /** From now on, destination-to-source bytes are dropped (the cut that follows resets the source). */
        void muteDown() {
            muted = true;
        }

        /** Destination: FIN after what was forwarded; source: reset. The down pump then drains and closes. */
        synchronized void cut() {
            if (cut) {
                return;
            }
            cut = true;
            try {
                destination.shutdownOutput();
            } catch (final IOException ignored) {
                // already gone
            }
            try {
                source.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (final IOException ignored) {
                // closing anyway
            }
            closeQuietly(source);
        }
    }

    private static void closeQuietly(final SocketChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignored) {
            // nothing to release
        }
    }

    /** Stops accepting and drops every connection (both sides reset). */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (final Link link : links) {
            link.cut();
            try {
                link.destination.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (final IOException ignored) {
                // closing anyway
            }
            closeQuietly(link.destination);
        }
    }
}
