package dev.tern.bench.migration;

import dev.tern.migration.channel.MigrationConnector;
import dev.tern.migration.channel.MigrationListener;
import dev.tern.migration.channel.Session;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the migration transport against a raw loopback TCP copy of the same bytes, in one run (not JMH:
 * one long copy per variant is the measurement). Target: records over plain TCP at least 0.7x the raw copy.
 * <pre>
 *  raw       SocketChannel.write(1 MiB direct) --&gt; SocketChannel.read(1 MiB direct)
 *  records   RecordWriter.write(DEVICE_DATA, 1 MiB) --&gt; RecordReader.read() (CRC32C both ends), via a Session
 *  tls       the same over TLS 1.3 (SSLSocket, keys from keytool into a temp PKCS12)
 * </pre>
 * Usage: {@code java -cp tern-bench/target/benchmarks.jar dev.tern.bench.migration.ChannelThroughput [GiB]}
 * (default 2). Each variant first runs a quarter of the volume as warm-up; then three rounds alternate the
 * variants (the machine may be shared) and the median of each is reported, in GB/s (10<sup>9</sup> bytes/s).
 */
public final class ChannelThroughput {
    private static final int CHUNK = 1 << 20;
    private static final int ROUNDS = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private ChannelThroughput() {
    }

    /**
     * @param args optional GiB to copy per variant
     * @throws Exception if a copy fails
     */
    public static void main(final String[] args) throws Exception {
        final double gib = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        final long chunks = Math.max(1, (long) (gib * 1024));
        final ByteBuffer payload = ByteBuffer.allocateDirect(CHUNK);
        final byte[] noise = new byte[CHUNK];
        new Random(1).nextBytes(noise);
        payload.put(noise).flip();
        final Optional<TlsConfig> tls = Optional.of(TlsConfig.of(keystore(), PASSWORD));

        System.out.printf("copying %d MiB per variant and round over 127.0.0.1 (%d cores), %d rounds%n", chunks,
                Runtime.getRuntime().availableProcessors(), ROUNDS);
        raw(payload, chunks / 4);
        records(payload, chunks / 4, Optional.empty());
        records(payload, chunks / 4, tls);
        final double[][] rates = new double[3][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            rates[0][round] = raw(payload, chunks);
            rates[1][round] = records(payload, chunks, Optional.empty());
            rates[2][round] = records(payload, chunks, tls);
            System.out.printf("round %d: raw %.2f, records %.2f, TLS records %.2f GB/s%n", round + 1,
                    rates[0][round], rates[1][round], rates[2][round]);
        }
        final double raw = median(rates[0]);
        final double plain = median(rates[1]);
        final double secure = median(rates[2]);
        System.out.printf("median of %d rounds:%n", ROUNDS);
        System.out.printf("  raw SocketChannel copy   %6.2f GB/s%n", raw);
        System.out.printf("  records, plain TCP       %6.2f GB/s   %.2fx raw%n", plain, plain / raw);
        System.out.printf("  records, TLS 1.3         %6.2f GB/s   %.2fx raw, %.2fx plain records%n", secure,
                secure / raw, secure / plain);
    }

    private static double median(final double[] values) {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static final char[] PASSWORD = "changeit".toCharArray();

    private static double raw(final ByteBuffer payload, final long chunks) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(LOOPBACK);
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            final CompletableFuture<Long> reading = CompletableFuture.supplyAsync(() -> {
                final ByteBuffer in = ByteBuffer.allocateDirect(CHUNK);
                long total = 0;
                try {
                    while (total < chunks * CHUNK) {
                        in.clear();
                        total += accepted.read(in);
                    }
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
                return System.nanoTime();
            });
            final long start = System.nanoTime();
            for (long i = 0; i < chunks; i++) {
                final ByteBuffer out = payload.duplicate();
                while (out.hasRemaining()) {
                    client.write(out);
                }
            }
            return rate(chunks, start, reading.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        }
    }

    private static double records(final ByteBuffer payload, final long chunks, final Optional<TlsConfig> tls)
            throws Exception {
        try (MigrationListener listener = MigrationListener.bind(LOOPBACK, tls)) {
            final CompletableFuture<Session> connecting = CompletableFuture.supplyAsync(() -> {
                try {
                    return MigrationConnector.connect(listener.address(), 1, tls, TIMEOUT);
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
                for (long i = 0; i < chunks; i++) {
                    writer.write(RecordKind.DEVICE_DATA, 0, payload.duplicate());
                }
                return rate(chunks, start, reading.get(TIMEOUT.toSeconds() * 10, TimeUnit.SECONDS));
            }
        }
    }

    private static double rate(final long chunks, final long start, final long end) {
        return chunks * (double) CHUNK / (end - start);
    }

    private static Path keystore() throws IOException, InterruptedException {
        final Path dir = Files.createTempDirectory("tern-bench-tls-");
        final Path store = dir.resolve("bench.p12");
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "bench",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bench", "-validity", "2", "-storetype",
                "PKCS12", "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass",
                new String(PASSWORD))).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        store.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return store;
    }
}
