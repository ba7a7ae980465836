package dev.tern.bench.migration;

import dev.tern.migration.channel.MigrationConnector;
import dev.tern.migration.channel.MigrationListener;
import dev.tern.migration.channel.Session;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordReader;
import dev.tern.migration.wire.RecordWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The two loopback copies the migration harnesses compare against, in 1 MiB chunks with one writer and one reader
 * thread, each timed from the first write until the reader holds every byte:
 * <pre>
 *  raw       SocketChannel.write(1 MiB direct) --&gt; SocketChannel.read(1 MiB direct)
 *  records   RecordWriter.write(DEVICE_DATA, 1 MiB) --&gt; RecordReader.read() (CRC32C both ends), via a Session
 *            (or HMAC-SHA256/128 both ends, keyed by a session secret)
 * </pre>
 */
final class LoopbackCopy {
    /** Chunk size of both copies. */
    static final int CHUNK = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private LoopbackCopy() {
    }

    /** @return one chunk of seeded random bytes in a direct buffer */
    static ByteBuffer payload() {
        final byte[] noise = new byte[CHUNK];
        new Random(1).nextBytes(noise);
        return ByteBuffer.allocateDirect(CHUNK).put(noise).flip();
    }

    /** @return GB/s of a raw loopback copy of {@code bytes} */
    static double raw(final ByteBuffer payload, final long bytes) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(LOOPBACK);
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            final CompletableFuture<Long> reading = CompletableFuture.supplyAsync(() -> {
                final ByteBuffer in = ByteBuffer.allocateDirect(CHUNK);
                long total = 0;
                try {
                    while (total < bytes) {
                        in.clear();
                        final int n = accepted.read(in);
                        if (n < 0) {
                            throw new IOException("EOF after " + total + " bytes");
                        }
                        total += n;
                    }
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
                return System.nanoTime();
            });
            final long start = System.nanoTime();
            for (long left = bytes; left > 0; left -= CHUNK) {
                final ByteBuffer out = payload.duplicate().limit((int) Math.min(CHUNK, left));
                while (out.hasRemaining()) {
                    client.write(out);
                }
            }
            return bytes / (double) (reading.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS) - start);
        }
    }

    /** @return GB/s of {@code bytes} as DEVICE_DATA records over a Session, plain or TLS */
    static double records(final ByteBuffer payload, final long bytes, final Optional<TlsConfig> tls)
            throws Exception {
        return records(payload, bytes, tls, Optional.empty());
    }

    /** @return GB/s of {@code bytes} as DEVICE_DATA records over a Session, HMAC-sealed when {@code secret} is set */
    static double records(final ByteBuffer payload, final long bytes, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret) throws Exception {
        final long chunks = (bytes + CHUNK - 1) / CHUNK;
        try (MigrationListener listener = MigrationListener.bind(LOOPBACK, tls, secret)) {
            final CompletableFuture<Session> connecting = CompletableFuture.supplyAsync(() -> {
                try {
                    return MigrationConnector.connect(listener.address(), 1, tls, secret, TIMEOUT);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try (Session destination = listener.accept(TIMEOUT);
                    Session source = connecting.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                final RecordReader reader = destination.data().getFirst().reader();
                final CompletableFuture<Long> reading = CompletableFuture.supplyAsync(() -> {
                    try {
                        for (long i = 0; i < chunks; i++) {
                            reader.read();
                        }
                    } catch (final IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return System.nanoTime();
                });
                final RecordWriter writer = source.data().getFirst().writer();
                final long start = System.nanoTime();
                for (long left = bytes; left > 0; left -= CHUNK) {
                    writer.write(RecordKind.DEVICE_DATA, 0, payload.duplicate().limit((int) Math.min(CHUNK, left)));
                }
                // TLS is several times slower than plain TCP; give the reader room to finish.
                return bytes / (double) (reading.get(TIMEOUT.toSeconds() * 10, TimeUnit.SECONDS) - start);
            }
        }
    }

    /** @return the median (the mean of the middle two for an even count) */
    static double median(final double[] values) {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
