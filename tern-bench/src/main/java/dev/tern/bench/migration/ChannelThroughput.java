package dev.tern.bench.migration;

import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Throughput of the migration transport against a raw loopback TCP copy of the same bytes, in one run (not JMH:
 * one long copy per variant is the measurement). Target: records over plain TCP at least 0.7x the raw copy.
 * <pre>
 *  raw       SocketChannel.write(1 MiB direct) --&gt; SocketChannel.read(1 MiB direct)
 *  records   RecordWriter.write(DEVICE_DATA, 1 MiB) --&gt; RecordReader.read() (CRC32C both ends), via a Session
 *  tls       the same over TLS 1.3 (SSLSocket, keys from keytool into a temp PKCS12)
 *  auth      plain TCP, records sealed with HMAC-SHA256/128 (a session secret, issue 9 item 11)
 * </pre>
 * Usage: {@code java -cp tern-bench/target/benchmarks.jar dev.tern.bench.migration.ChannelThroughput [GiB]}
 * (default 2). Each variant first runs a quarter of the volume as warm-up; then three rounds alternate the
 * variants (the machine may be shared) and the median of each is reported, in GB/s (10<sup>9</sup> bytes/s).
 */
public final class ChannelThroughput {
    private static final int ROUNDS = 3;

    private ChannelThroughput() {
    }

    /**
     * @param args optional GiB to copy per variant
     * @throws Exception if a copy fails
     */
    public static void main(final String[] args) throws Exception {
        final double gib = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        final long chunks = Math.max(1, (long) (gib * 1024));
        final ByteBuffer payload = LoopbackCopy.payload();
        final long bytes = chunks * LoopbackCopy.CHUNK;
        final Optional<TlsConfig> tls = Optional.of(TlsConfig.of(keystore(), PASSWORD));

        System.out.printf("copying %d MiB per variant and round over 127.0.0.1 (%d cores), %d rounds%n", chunks,
                Runtime.getRuntime().availableProcessors(), ROUNDS);
        LoopbackCopy.raw(payload, bytes / 4);
        LoopbackCopy.records(payload, bytes / 4, Optional.empty());
        LoopbackCopy.records(payload, bytes / 4, tls);
        final Optional<SessionSecret> secret = Optional.of(SessionSecret.generate());
        LoopbackCopy.records(payload, bytes / 4, Optional.empty(), secret);
        final double[][] rates = new double[4][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            rates[0][round] = LoopbackCopy.raw(payload, bytes);
            rates[1][round] = LoopbackCopy.records(payload, bytes, Optional.empty());
            rates[2][round] = LoopbackCopy.records(payload, bytes, tls);
            rates[3][round] = LoopbackCopy.records(payload, bytes, Optional.empty(), secret);
            System.out.printf("round %d: raw %.2f, records %.2f, TLS records %.2f, authenticated records %.2f GB/s%n",
                    round + 1, rates[0][round], rates[1][round], rates[2][round], rates[3][round]);
        }
        final double raw = LoopbackCopy.median(rates[0]);
        final double plain = LoopbackCopy.median(rates[1]);
        final double secure = LoopbackCopy.median(rates[2]);
        final double keyed = LoopbackCopy.median(rates[3]);
        System.out.printf("median of %d rounds:%n", ROUNDS);
        System.out.printf("  raw SocketChannel copy   %6.2f GB/s%n", raw);
        System.out.printf("  records, plain TCP       %6.2f GB/s   %.2fx raw%n", plain, plain / raw);
        System.out.printf("  records, TLS 1.3         %6.2f GB/s   %.2fx raw, %.2fx plain records%n", secure,
                secure / raw, secure / plain);
        System.out.printf("  records, HMAC (auth-file)%6.2f GB/s   %.2fx raw, %.2fx plain records%n", keyed,
                keyed / raw, keyed / plain);
    }


    private static final char[] PASSWORD = "changeit".toCharArray();




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
