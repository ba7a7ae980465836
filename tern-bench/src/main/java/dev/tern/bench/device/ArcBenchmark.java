package dev.tern.bench.device;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.samples.Uart;
import dev.tern.protocol.MigrationState;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-arc overhead of the migration engine: the uart's hooks do nothing, so RUNNING → STOP → RUNNING (four arcs
 * through RUNNING_P2P) measures the engine alone — lock, FSM walk, gate updates, transition bookkeeping.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ArcBenchmark {

    private MigrationEngine engine;
    private MigrationEngine traced;

    /** Opens two uarts, one with a listener attached. */
    @Setup
    public void setUp() {
        engine = MigrationEngine.of(new Uart());
        traced = MigrationEngine.of(new Uart());
        traced.setListener(e -> { });
    }

    /** @return the state reached; time per arc */
    @Benchmark
    @OperationsPerInvocation(4)
    public MigrationState stopRun() throws DeviceException {
        engine.setState(MigrationState.STOP);
        return engine.setState(MigrationState.RUNNING).reached();
    }

    /** @return the state reached; time per arc with a state-event listener */
    @Benchmark
    @OperationsPerInvocation(4)
    public MigrationState stopRunTraced() throws DeviceException {
        traced.setState(MigrationState.STOP);
        return traced.setState(MigrationState.RUNNING).reached();
    }
}
