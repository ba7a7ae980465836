package dev.tern.migration.channel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Socket set-up shared by both ends: options, deadlines, and TLS layered over a connected {@link SocketChannel}
 * (its blocking socket adaptor), so plain and TLS connections are accepted and connected the same way.
 */
final class Transport {
    private Transport() {
    }

    /**
     * TCP_NODELAY on every migration connection: records are written whole (one gathering write), so Nagle can only
     * delay a record's tail, e.g. a small {@code DEVICE_END} behind bulk data. Keep-alive catches dead peers.
     */
    static void tune(final SocketChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
    }

    /**
     * @param deadline {@link System#nanoTime()} deadline
     * @param what     what would time out, for the message
     * @return milliseconds left, at least 1
     * @throws SocketTimeoutException if the deadline has passed
     */
    static int millisLeft(final long deadline, final String what) throws SocketTimeoutException {
        final long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed before " + what);
        }
        return (int) Math.clamp(TimeUnit.NANOSECONDS.toMillis(left + 999_999), 1, Integer.MAX_VALUE);
    }

    /**
     * Runs the TLS 1.3 handshake over a connected channel.
     *
     * @param context   TLS context
     * @param channel   connected, blocking
     * @param client    whether this side is the client (connector)
     * @param timeoutMs bound on the handshake
     * @return the TLS socket; closing it closes the channel
     * @throws IOException if the handshake fails or times out
     */
    static SSLSocket handshake(final SSLContext context, final SocketChannel channel, final boolean client,
            final int timeoutMs) throws IOException {
        final InetSocketAddress peer = (InetSocketAddress) channel.getRemoteAddress();
        final SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(channel.socket(),
                peer.getHostString(), peer.getPort(), true);
        tls.setEnabledProtocols(new String[] {TlsConfig.PROTOCOL});
        tls.setUseClientMode(client);
        if (!client) {
            tls.setNeedClientAuth(true);
        }
        tls.setSoTimeout(timeoutMs);
        tls.startHandshake();
        return tls;
    }

    /**
     * @param channel a connected channel
     * @return its peer as {@code host:port}, or a placeholder if it is already closed
     */
    static String peer(final SocketChannel channel) {
        try {
            final InetSocketAddress peer = (InetSocketAddress) channel.getRemoteAddress();
            return peer == null ? "(unconnected)" : peer.getHostString() + ":" + peer.getPort();
        } catch (final IOException e) {
            return "(closed)";
        }
    }
}
