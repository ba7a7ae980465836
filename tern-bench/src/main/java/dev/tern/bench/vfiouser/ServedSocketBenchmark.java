package dev.tern.bench.vfiouser;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionInfo;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One vfio-user command over a real UNIX socket to a served device, server and client in this JVM (issue 12:
 * allocation per message in steady state). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is what the
 * whole process (client caller, client reader, server reader) allocates per command.
 * <ul>
 * <li>{@code regionRead}: REGION_READ of 4 bytes of a uart's config space ({@link VfioUserClient#readRegion}, whose
 * API returns a fresh {@code byte[]}: 24 B of it are the result).</li>
 * <li>{@code regionReadInto}: the same REGION_READ into the caller's memory ({@link VfioUserClient#readRegion(int,
 * long, MemorySegment)}): the allocation-free path, 0 B expected.</li>
 * <li>{@code migDataRead}: MIG_DATA_READ of 1 MiB from a 64 MiB dma-engine in STOP_COPY into one direct buffer
 * ({@link VfioUserClient#migDataRead(int, ByteBuffer)}); at the end of the stream the device is walked STOP →
 * RUNNING → STOP_COPY (three SETs every 65 reads, included in the figure).</li>
 * <li>{@code migDataRead4k}: the same with 4 KiB reads: 16,384 reads per pass, so the SETs weigh &lt; 0.1 B per
 * read (JMH counts every thread's allocation in the iteration, setup included, so they cannot be left out).</li>
 * <li>{@code stateWalk}: the three SETs alone, per op: what {@code migDataRead} carries of them is this / 65.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class ServedSocketBenchmark {
    private static final int CHUNK = 1 << 20;
    private static final int SMALL = 4096;

    private Path dir;
    private VfioUserServer uart;
    private VfioUserServer dma;
    private VfioUserClient uartClient;
    private VfioUserClient dmaClient;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
    private final MemorySegment four = Arena.ofAuto().allocate(4);

    /** Starts both servers and connects a client to each; the dma-engine is put in STOP_COPY. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, DeviceException {
        dir = Files.createTempDirectory("tern-jmh-vfio-user");
        uart = VfioUserServer.listen(dir.resolve("uart.sock"), new Uart(), ServerConfig.defaults()).start();
        dma = VfioUserServer.listen(dir.resolve("dma.sock"), new DmaEngine(DmaEngineConfig.ofMemory(64L << 20)),
                ServerConfig.defaults()).start();
        uartClient = VfioUserClient.connect(uart.path(), ClientOptions.defaults());
        dmaClient = VfioUserClient.connect(dma.path(), ClientOptions.defaults());
        set(MigrationState.STOP_COPY);
    }

    /** Disconnects and stops the servers. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        uartClient.close();
        dmaClient.close();
        uart.close();
        dma.close();
        Files.deleteIfExists(dir.resolve("uart.sock"));
        Files.deleteIfExists(dir.resolve("dma.sock"));
        Files.deleteIfExists(dir);
    }

    /** @return the 4 bytes read */
    @Benchmark
    public byte[] regionRead() throws DeviceException {
        return uartClient.readRegion(RegionInfo.PCI_CONFIG, 0, 4);
    }

    /** @return the 4 bytes read, as an int */
    @Benchmark
    public int regionReadInto() throws DeviceException {
        uartClient.readRegion(RegionInfo.PCI_CONFIG, 0, four);
        return four.get(ValueLayout.JAVA_INT, 0);
    }

    /** @return the bytes of migration data in the reply */
    @Benchmark
    public int migDataRead() throws DeviceException {
        final int n = dmaClient.migDataRead(CHUNK, chunk.clear());
        if (n == 0) {
            walk();
        }
        return n;
    }

    /** @return the bytes of migration data in the reply */
    @Benchmark
    public int migDataRead4k() throws DeviceException {
        final int n = dmaClient.migDataRead(SMALL, chunk.clear());
        if (n == 0) {
            walk();
        }
        return n;
    }

    /** STOP → RUNNING → STOP_COPY, each op. */
    @Benchmark
    public void stateWalk() throws DeviceException {
        walk();
    }

    private void walk() throws DeviceException {
        set(MigrationState.STOP);
        set(MigrationState.RUNNING);
        set(MigrationState.STOP_COPY);
    }

    private void set(final MigrationState s) throws DeviceException {
        dmaClient.feature(DeviceFeature.set(Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(s.uapi(),
                -1)));
    }
}
