package dev.tern.bench.device;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.PosixException;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * In-process save → load of a dma-engine (STOP → STOP_COPY → read all → RESUMING → write all → STOP) against a
 * plain copy of the same bytes between two pre-faulted memfds in the same run. Both report ms per operation; the
 * throughput ratio is {@code memcpy / roundTrip} (target ≥ 0.8). The workload is off (rate 0) so both copy exactly
 * the device memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RoundTripBenchmark {

    /** Device memory in MiB. */
    @Param({"64"})
    public int memoryMiB;

    /** Caller buffer between save and load, in KiB. */
    @Param({"256"})
    public int bufferKiB;

    private MigrationEngine source;
    private MigrationEngine destination;
    private ByteBuffer buffer;
    private SharedMemory from;
    private SharedMemory to;

    /** Opens both devices, fills the source memory, and pre-faults everything once. */
    @Setup(Level.Trial)
    public void setUp() throws DeviceException, PosixException {
        final long bytes = (long) memoryMiB << 20;
        final DmaEngine device = new DmaEngine(DmaEngineConfig.ofMemory(bytes).withRate(0));
        source = MigrationEngine.of(device);
        destination = MigrationEngine.of(new DmaEngine(DmaEngineConfig.ofMemory(bytes).withRate(0)));
        buffer = ByteBuffer.allocateDirect(bufferKiB << 10);
        from = SharedMemory.create("bench-from", bytes);
        to = SharedMemory.create("bench-to", bytes);
        for (long off = 0; off < bytes; off += 8) {
            from.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, off, off * 0x9E3779B97F4A7C15L);
        }
        to.segment().fill((byte) 1);
        roundTrip();
        roundTrip();
    }

    /** Releases devices and memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        source.close();
        destination.close();
        from.close();
        to.close();
    }

    /** @return bytes moved through the stream */
    @Benchmark
    public long roundTrip() throws DeviceException {
        final MigrationStream out = source.setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final MigrationStream in = destination.setState(MigrationState.RESUMING).stream().orElseThrow();
        long total = 0;
        int n;
        while ((n = out.read(buffer.clear())) > 0) {
            in.write(buffer.flip());
            total += n;
        }
        destination.setState(MigrationState.STOP);
        source.setState(MigrationState.STOP);
        return total;
    }

    /** @return the baseline: one copy of the same number of memory bytes between two memfds */
    @Benchmark
    public MemorySegment memcpy() {
        MemorySegment.copy(from.segment(), 0, to.segment(), 0, from.size());
        return to.segment();
    }
}
