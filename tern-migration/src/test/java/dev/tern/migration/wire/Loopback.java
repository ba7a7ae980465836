package dev.tern.migration.wire;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;

/**
 * Test plumbing: a connected pair of real TCP sockets on 127.0.0.1, and byte-array channels for socket-free
 * codec tests.
 *
 * @param client the connecting end
 * @param server the accepted end
 */
record Loopback(SocketChannel client, SocketChannel server) implements Closeable {

    /**
     * @return a fresh connected pair, both blocking
     */
    static Loopback open() throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final SocketChannel client = SocketChannel.open(listener.getLocalAddress());
            return new Loopback(client, listener.accept());
        }
    }

    /**
     * @param bytes what the channel yields, then end of stream
     * @return a channel over a copy-free view of {@code bytes}
     */
    static ReadableByteChannel source(final byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    /**
     * @param length bytes wanted
     * @param seed   random seed
     * @return a direct buffer of {@code length} random bytes, position 0
     */
    static ByteBuffer random(final int length, final long seed) {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return ByteBuffer.allocateDirect(length).put(bytes).flip();
    }

    /**
     * Writes records through a non-gathering channel into memory.
     *
     * @param writes what to write
     * @return the bytes a {@link RecordWriter} produced
     */
    static byte[] written(final Writes writes) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        writes.to(new RecordWriter(Channels.newChannel(out)));
        return out.toByteArray();
    }

    /** Records to write. */
    @FunctionalInterface
    interface Writes {
        /**
         * @param writer where to
         */
        void to(RecordWriter writer) throws IOException;
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } finally {
            server.close();
        }
    }
}
