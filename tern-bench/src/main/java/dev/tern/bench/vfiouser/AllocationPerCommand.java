package dev.tern.bench.vfiouser;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionInfo;
import dev.tern.protocol.MigrationState;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes allocated per command by each side of a real socket (issue 12: 0 B per REGION_READ and MIG_DATA_READ), per
 * thread ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}): the calling thread is the client (it
 * reads its own reply), the server's session threads are the server. JMH's {@code -prof gc} gives the sum of both
 * ({@link ServedSocketBenchmark}); this harness splits it. "REGION_READ 4 B" returns a fresh {@code byte[]} (24 B of
 * the client's figure); "into" reads into a reused segment.
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp tern-bench/target/benchmarks.jar \
 *     dev.tern.bench.vfiouser.AllocationPerCommand [COMMANDS]
 * </pre>
 */
public final class AllocationPerCommand {
    private static final int CHUNK = 1 << 20;
    private static final int SMALL = 4096;

    private AllocationPerCommand() {
    }

    /** A command to count. */
    @FunctionalInterface
    private interface Op {
        void run() throws DeviceException;
    }

    /** Runs both commands, warm, and prints bytes per command per thread. */
    public static void main(final String[] args) throws Exception {
        final int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        final Path dir = Files.createTempDirectory("tern-alloc");
        try (VfioUserServer uart = VfioUserServer.listen(dir.resolve("uart.sock"), new Uart(),
                ServerConfig.defaults()).start();
                VfioUserClient c = VfioUserClient.connect(uart.path(), ClientOptions.defaults())) {
            final Op read = () -> c.readRegion(RegionInfo.PCI_CONFIG, 0, 4);
            count("REGION_READ 4 B", read, n);
            count("REGION_READ 4 B", read, n);
            final MemorySegment four = Arena.ofAuto().allocate(4);
            final Op into = () -> c.readRegion(RegionInfo.PCI_CONFIG, 0, four);
            count("REGION_READ 4 B into", into, n);
            count("REGION_READ 4 B into", into, n);
        }
        try (VfioUserServer dma = VfioUserServer.listen(dir.resolve("dma.sock"),
                new DmaEngine(DmaEngineConfig.ofMemory(64L << 20)), ServerConfig.defaults()).start();
                VfioUserClient c = VfioUserClient.connect(dma.path(), ClientOptions.defaults())) {
            final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
            set(c, MigrationState.STOP_COPY);
            final Op read = () -> {
                if (c.migDataRead(CHUNK, chunk.clear()) == 0) {
                    walk(c);
                }
            };
            count("MIG_DATA_READ 1 MiB", read, n / 100);
            count("MIG_DATA_READ 1 MiB", read, n / 100);
            // 16,384 reads per pass over the 64 MiB: the three SETs at its end weigh < 0.1 B per read
            final Op small = () -> {
                if (c.migDataRead(SMALL, chunk.clear()) == 0) {
                    walk(c);
                }
            };
            count("MIG_DATA_READ 4 KiB", small, n / 10);
            count("MIG_DATA_READ 4 KiB", small, n / 10);
            // what the 1 MiB figure carries of the SETs: this per pass / 65 reads
            count("SET walk (3 SETs)", () -> walk(c), n / 1000);
            count("SET walk (3 SETs)", () -> walk(c), n / 1000);
        }
        Files.deleteIfExists(dir.resolve("uart.sock"));
        Files.deleteIfExists(dir.resolve("dma.sock"));
        Files.deleteIfExists(dir);
    }

    private static void count(final String what, final Op op, final int n) throws DeviceException {
        final Map<Thread, Long> before = allocated();
        final long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            op.run();
        }
        final long nanos = System.nanoTime() - start;
        final Map<Thread, Long> after = allocated();
        final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-20s %7.2f us/op", what,
                nanos / 1e3 / n));
        after.forEach((t, bytes) -> {
            final long delta = bytes - before.getOrDefault(t, bytes);
            if (delta > 0) {
                final String side = t == Thread.currentThread() ? "client caller" : t.getName();
                line.append(String.format(Locale.ROOT, "  %s %,.0f B/op", side, (double) delta / n));
            }
        });
        System.out.println(line);
    }

    private static Map<Thread, Long> allocated() {
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                ManagementFactory.getThreadMXBean();
        final Map<Thread, Long> m = new HashMap<>();
        for (final Thread t : Thread.getAllStackTraces().keySet()) {
            final long b = mx.getThreadAllocatedBytes(t.threadId());
            if (b >= 0) {
                m.put(t, b);
            }
        }
        return m;
    }

    /** STOP → RUNNING → STOP_COPY: a fresh stream after the end of one. */
    private static void walk(final VfioUserClient c) throws DeviceException {
        set(c, MigrationState.STOP);
        set(c, MigrationState.RUNNING);
        set(c, MigrationState.STOP_COPY);
    }

    private static void set(final VfioUserClient c, final MigrationState s) throws DeviceException {
        c.feature(DeviceFeature.set(Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(s.uapi(), -1)));
    }
}
