package dev.tern.bench.vfiouser;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationStream;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * vfio-user over a UNIX socket against a raw socketpair moving the same bytes in the same run, printed as ratios.
 * Not JMH: each figure needs a live server and client, and the baseline must run on the same machine state.
 * <ul>
 * <li>REGION_READ round trips: 4 bytes of config space (request 32 B, reply 36 B) vs a socketpair ping-pong of a
 * 32-byte request and a 36-byte reply.</li>
 * <li>MIG_DATA_READ throughput: the whole STOP_COPY stream of a dma-engine read in 1 MiB chunks vs a socketpair
 * exchange of a 24-byte request and a (24 + 1 MiB)-byte reply per chunk, the reply copied once into the heap.</li>
 * <li>MIG_DATA_WRITE throughput: that stream written back in its 1 MiB chunks to a second dma-engine (RESUMING,
 * the writes, STOP including the load) vs the same socketpair figure.</li>
 * </ul>
 * Usage: {@code java --enable-native-access=ALL-UNNAMED -cp tern-bench/target/benchmarks.jar
 * dev.tern.bench.vfiouser.VfioUserBench [seconds per figure, default 3] [dma-engine MiB, default 256]}
 */
public final class VfioUserBench {
    private static final int CHUNK = 1 << 20;

    private VfioUserBench() {
    }

    /** Runs the comparisons and prints them. */
    public static void main(final String[] args) throws Exception {
        final double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        final long memory = (args.length > 1 ? Long.parseLong(args[1]) : 256) << 20;
        final Path dir = Files.createTempDirectory("tern-bench-vfio-user");
        final long nanos = (long) (seconds * 1e9);
        try (VfioUserServer uart = VfioUserServer.listen(dir.resolve("uart.sock"), new Uart(),
                ServerConfig.defaults()).start()) {
            regionRead(uart.path(), nanos / 3);
            final double ours = regionRead(uart.path(), nanos);
            rawPingPong(32, 36, nanos / 3);
            final double raw = rawPingPong(32, 36, nanos);
            System.out.printf(Locale.ROOT, "REGION_READ (4 B)      %,12.0f round trips/s   raw socketpair %,12.0f/s"
                    + "   ratio %.2f%n", ours, raw, ours / raw);
        }
        try (VfioUserServer dma = VfioUserServer.listen(dir.resolve("dma.sock"),
                new DmaEngine(DmaEngineConfig.ofMemory(memory)), ServerConfig.defaults()).start()) {
            migDataRead(dma.path(), nanos / 3);
            final double[] ours = migDataRead(dma.path(), nanos);
            rawChunks(0, nanos / 3);
            final double raw = rawChunks((long) ours[1], 0);
            System.out.printf(Locale.ROOT, "MIG_DATA_READ (1 MiB)  %,12.1f MiB/s           raw socketpair %,12.1f MiB/s"
                    + "   ratio %.2f  (%d MiB per stream)%n", ours[0], raw, ours[0] / raw, memory >> 20);
            try (VfioUserServer dst = VfioUserServer.listen(dir.resolve("dst.sock"),
                    new DmaEngine(DmaEngineConfig.ofMemory(memory)), ServerConfig.defaults()).start()) {
                final List<ByteBuffer> state = save(dma.path());
                migDataWrite(dst.path(), state, nanos / 3);
                final double written = migDataWrite(dst.path(), state, nanos);
                System.out.printf(Locale.ROOT, "MIG_DATA_WRITE (1 MiB) %,12.1f MiB/s           raw socketpair %,12.1f"
                        + " MiB/s   ratio %.2f  (RESUMING, writes, STOP with the load)%n", written, raw, written / raw);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** @return REGION_READ round trips per second */
    private static double regionRead(final Path socket, final long nanos) throws DeviceException {
        try (VfioUserClient c = VfioUserClient.connect(socket, ClientOptions.defaults())) {
            long n = 0;
            final long start = System.nanoTime();
            long now;
            do {
                for (int i = 0; i < 256; i++) {
                    c.readRegion(RegionInfo.PCI_CONFIG, 0, 4);
                }
                n += 256;
                now = System.nanoTime();
            } while (now - start < nanos);
            return n * 1e9 / (now - start);
        }
    }

    /** @return {MiB/s, bytes read} over as many whole STOP_COPY streams as fit in {@code nanos} (at least one) */
    private static double[] migDataRead(final Path socket, final long nanos) throws DeviceException {
        try (VfioUserMigrationTarget t = new VfioUserMigrationTarget(VfioUserClient.connect(socket,
                ClientOptions.defaults()), () -> { })) {
            final ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            long bytes = 0;
            long busy = 0;
            do {
                final long start = System.nanoTime();
                final MigrationStream s = t.setState(MigrationState.STOP_COPY).stream().orElseThrow();
                int n;
                while ((n = s.read(buf.clear())) >= 0) {
                    bytes += n;
                }
                busy += System.nanoTime() - start;
                t.setState(MigrationState.RUNNING);
            } while (busy < nanos);
            return new double[] {bytes / (busy / 1e9) / (1 << 20), bytes};
        }
    }

    /** @return a whole STOP_COPY stream in 1 MiB direct buffers (the device back in RUNNING) */
    private static List<ByteBuffer> save(final Path socket) throws DeviceException {
        try (VfioUserMigrationTarget t = new VfioUserMigrationTarget(VfioUserClient.connect(socket,
                ClientOptions.defaults()), () -> { })) {
            final MigrationStream s = t.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final List<ByteBuffer> chunks = new ArrayList<>();
            while (true) {
                final ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
                if (s.read(b) < 0) {
                    break;
                }
                chunks.add(b.flip());
            }
            t.setState(MigrationState.RUNNING);
            return chunks;
        }
    }

    /** @return MiB/s of RESUMING, the whole stream written in its chunks, STOP (the load), repeated for {@code nanos} */
    private static double migDataWrite(final Path socket, final List<ByteBuffer> state, final long nanos)
            throws DeviceException {
        try (VfioUserMigrationTarget t = new VfioUserMigrationTarget(VfioUserClient.connect(socket,
                ClientOptions.defaults()), () -> { })) {
            long bytes = 0;
            long busy = 0;
            do {
                final long start = System.nanoTime();
                final MigrationStream w = t.setState(MigrationState.RESUMING).stream().orElseThrow();
                for (final ByteBuffer b : state) {
                    bytes += b.remaining();
                    w.write(b.duplicate());
                }
                t.setState(MigrationState.STOP);
                busy += System.nanoTime() - start;
                t.setState(MigrationState.RUNNING);
            } while (busy < nanos);
            return bytes / (busy / 1e9) / (1 << 20);
        }
    }

    /** @return round trips per second of a request/reply ping-pong of the given sizes over a socketpair */
    private static double rawPingPong(final int request, final int reply, final long nanos) throws Exception {
        try (UnixSocket.Pair p = UnixSocket.pair()) {
            final Thread echo = Thread.ofPlatform().daemon().start(() -> serve(p.second(), request, reply));
            final ByteBuffer req = ByteBuffer.allocateDirect(request);
            final ByteBuffer rep = ByteBuffer.allocateDirect(reply);
            long n = 0;
            final long start = System.nanoTime();
            long now;
            do {
                for (int i = 0; i < 256; i++) {
                    p.first().send(req.clear());
                    p.first().receiveExactly(rep.clear(), 0);
                }
                n += 256;
                now = System.nanoTime();
            } while (now - start < nanos);
            p.first().shutdownOutput();
            echo.join();
            return n * 1e9 / (now - start);
        }
    }

    /**
     * @return MiB/s moving {@code total} bytes (or, if it is 0, for {@code nanos}) as 1 MiB replies to 24-byte
     *         requests, each reply copied into a heap array
     */
    private static double rawChunks(final long total, final long nanos) throws Exception {
        try (UnixSocket.Pair p = UnixSocket.pair()) {
            final Thread server = Thread.ofPlatform().daemon().start(() -> serve(p.second(), 24, 24 + CHUNK));
            final ByteBuffer req = ByteBuffer.allocateDirect(24);
            final ByteBuffer rep = ByteBuffer.allocateDirect(24 + CHUNK);
            final byte[] heap = new byte[CHUNK];
            long bytes = 0;
            final long start = System.nanoTime();
            while (total > 0 ? bytes < total : System.nanoTime() - start < nanos) {
                p.first().send(req.clear());
                p.first().receiveExactly(rep.clear(), 0);
                rep.position(24);
                rep.get(heap);
                bytes += CHUNK;
            }
            final long busy = System.nanoTime() - start;
            p.first().shutdownOutput();
            server.join();
            return bytes / (busy / 1e9) / (1 << 20);
        }
    }

    /** Answers every {@code request}-byte message with a {@code reply}-byte one until end of stream. */
    private static void serve(final UnixSocket s, final int request, final int reply) {
        final ByteBuffer req = ByteBuffer.allocateDirect(request);
        final ByteBuffer rep = ByteBuffer.allocateDirect(reply);
        try {
            while (!s.receiveExactly(req.clear(), 0).isEof()) {
                s.send(rep.clear());
            }
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
