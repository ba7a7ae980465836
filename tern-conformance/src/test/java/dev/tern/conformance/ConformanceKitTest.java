package dev.tern.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceCatalog;
import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceException;
import dev.tern.device.migration.ForwardingTarget;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.StateChange;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.sys.Errno;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConformanceKitTest {

    private static List<CheckResult> failures(final List<CheckResult> results) {
        return results.stream().filter(r -> !r.passed()).toList();
    }

    @Test
    void uartPassesEveryCheck() {
        final List<CheckResult> results = ConformanceKit.run(ConformanceKit.forFactory(DeviceCatalog.find("uart").orElseThrow()));
        assertThat(failures(results)).isEmpty();
        // capture, 5 states x 6 targets, 1 round trip, one per required arc, 7 misuse, 7 bad loads, 4 data-fd
        // rules (the pre-copy one skipped: no PRE_COPY), 3 across sessions, dirty log
        assertThat(MigrationFsm.arcs(MigrationFlags.P2P)).hasSize(8);
        assertThat(results).hasSize(1 + 30 + 1 + 8 + 7 + 7 + 4 + 3 + 1);
        assertThat(results).filteredOn(CheckResult::skipped).extracting(CheckResult::name)
                .containsExactly("pre-copy stream is stale after PRE_COPY -> RUNNING");
        assertThat(ConformanceKit.summary(results)).isEqualTo((results.size() - 1) + " passed, 0 failed, 1 skipped");
    }

    @Test
    void dmaEnginePassesEveryCheck() {
        final Subject subject = Subject.ofEngines("dma-engine",
                () -> MigrationEngine.of(new DmaEngine(DmaEngineConfig.ofMemory(8L << 20))));
        final List<CheckResult> results = ConformanceKit.run(subject);
        assertThat(failures(results)).isEmpty();
        assertThat(MigrationFsm.arcs(MigrationFlags.ALL)).hasSize(15);
        assertThat(results).hasSize(1 + 56 + 3 + 15 + 7 + 7 + 4 + 3 + 1);
        assertThat(results).noneMatch(CheckResult::skipped);
    }

    /** The busy save with a real workload: bytes arrive on the uart's receive FIFO while the save runs. */
    @Test
    void aUartReceivingDuringTheSaveLoadsElsewhereAsItWasAtSwitchover() throws Exception {
        final Map<MigrationTarget, Uart> uarts = new ConcurrentHashMap<>();
        final AtomicInteger injected = new AtomicInteger();
        final Subject busy = new Subject() {
            @Override
            public String name() {
                return "busy uart";
            }

            @Override
            public MigrationTarget open() {
                final Uart u = new Uart();
                final MigrationEngine e = MigrationEngine.of(u);
                uarts.put(e, u);
                return e;
            }

            @Override
            public Optional<AutoCloseable> keepBusy(final MigrationTarget target) {
                final Uart u = uarts.get(target);
                final AtomicBoolean stop = new AtomicBoolean();
                final Thread writer = Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        try {
                            u.injectRx(new byte[] {(byte) injected.incrementAndGet()});
                            Thread.sleep(1);
                        } catch (final DeviceException | InterruptedException x) {
                            return;
                        }
                    }
                });
                return Optional.of(() -> {
                    stop.set(true);
                    writer.join(5_000);
                });
            }
        };
        final List<CheckResult> results = ConformanceKit.run(busy);
        assertThat(failures(results)).isEmpty();
        assertThat(results).filteredOn(r -> r.name().equals("save with the device busy")).singleElement()
                .extracting(CheckResult::detail).asString().contains("workload: the subject's");
        assertThat(injected.get()).isPositive();
    }

    @Test
    void aDeviceThatForgetsItsStateFailsTheRoundTrip() {
        final List<CheckResult> results = ConformanceKit.run(
                Subject.ofEngines("forgetful", () -> MigrationEngine.of(new ForgetfulUart())));
        assertThat(failures(results)).extracting(CheckResult::name)
                .contains("round trip via STOP_COPY", "load of truncated stream (half) fails, nothing applied",
                        "repeated migration A->B->A->B (4 hops)", "load of the device's own stream in a new session",
                        "save with the device busy");
        assertThat(ConformanceKit.summary(results)).doesNotEndWith(" 0 failed");
    }

    /** A target that silently ignores refused requests instead of failing with EINVAL. */
    @Test
    void aTargetThatAcceptsForbiddenRequestsFails() {
        final Subject lenient = new Subject() {
            @Override
            public String name() {
                return "lenient";
            }

            @Override
            public MigrationTarget open() throws DeviceException {
                return new Lenient(MigrationEngine.of(new DmaEngine(DmaEngineConfig.ofMemory(1 << 20))));
            }
        };
        final List<CheckResult> failed = failures(ConformanceKit.run(lenient));
        assertThat(failed).extracting(CheckResult::name).contains("transition STOP_COPY -> PRE_COPY",
                "transition RUNNING -> ERROR", "requesting ERROR is refused with EINVAL");
        assertThat(failed).allSatisfy(r -> assertThat(r.toString()).startsWith("FAIL "));
    }

    @Test
    void unknownDeviceIsRefusedNamingTheCatalogue() {
        assertThat(DeviceCatalog.find("nic")).isEmpty();
        assertThatThrownBy(() -> DeviceCatalog.create("nic", DeviceConfig.DEFAULTS))
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV))
                .hasMessageContaining("no device 'nic' (known: uart, dma-engine)");
    }

    /** Answers a refused state change with the state read back instead of the error. */
    private static final class Lenient extends ForwardingTarget {
        Lenient(final MigrationEngine e) {
            super(e);
        }

        @Override
        public StateChange setState(final MigrationState target) throws DeviceException {
            try {
                return inner.setState(target);
            } catch (final DeviceException x) {
                return new StateChange(inner.state(), java.util.Optional.empty());
            }
        }
    }

    @org.junit.jupiter.api.Test
    void summaryCountsSkippedChecksApart() {
        final java.util.List<CheckResult> rs = java.util.List.of(new CheckResult("a", true, ""),
                new CheckResult("b", false, "broken"), CheckResult.skip("c", "no fault injection"));
        org.assertj.core.api.Assertions.assertThat(ConformanceKit.summary(rs)).isEqualTo("1 passed, 1 failed, 1 skipped");
        org.assertj.core.api.Assertions.assertThat(rs.get(2)).hasToString("SKIP c: no fault injection");
        org.assertj.core.api.Assertions.assertThat(ConformanceKit.summary(rs.subList(0, 1))).isEqualTo("1 passed, 0 failed");
    }
}
