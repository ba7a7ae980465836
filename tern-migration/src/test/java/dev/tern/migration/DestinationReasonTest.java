package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.testing.FaultProxy;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 10: a destination that fails tells the source why (an ABORT with its reason) before it closes, so
 * the source's one line names the destination's reason, not the broken pipe or reset its own writes ran into.
 * Real TCP on loopback; the corruption goes through {@link FaultProxy}.
 */
class DestinationReasonTest {
    private static final long MIB = 1 << 20;
    private static final MigrationOptions OPTIONS = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));

    @Test
    void aCorruptRecordIsReportedByTheSourceAsTheDestinationsCrcMismatch() throws Exception {
        try (MigrationRig rig = new MigrationRig(8 * MIB, 8 * MIB, 8 * MIB);
                FaultProxy proxy = FaultProxy.start(rig.listener.address())) {
            rig.receive(OPTIONS.withPrecopy(false), p -> { });
            proxy.corruptByteAt(4 * MIB); // inside the bulk of the stop-copy data
            assertThatThrownBy(() -> source(rig, OPTIONS.withPrecopy(false)).migrate(proxy.address(),
                    Optional.empty())).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.getMessage()).contains("destination: ").contains("CRC32C mismatch")
                                .doesNotContainIgnoringCase("broken pipe").doesNotContainIgnoringCase("connection reset");
                        assertThat(e.sourceRecovered()).isTrue();
                    });
        }
    }

    @Test
    void aLoadFailureIsReportedByTheSourceWithTheDestinationsReason() throws Exception {
        // 4 MiB of device memory against 8: the destination device refuses the state when it applies it.
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 8 * MIB)) {
            rig.receive(OPTIONS, p -> { });
            assertThatThrownBy(() -> source(rig, OPTIONS).migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.getMessage()).contains("destination: receive failed in")
                                .doesNotContainIgnoringCase("broken pipe").doesNotContainIgnoringCase("connection reset");
                        assertThat(e.sourceRecovered()).isTrue();
                    });
        }
    }

    @Test
    void theDestinationsOwnTimeoutIsReportedAsSuch() throws Exception {
        // The destination waits 1 s for the source at each step; the source is patient (10 s) and stalls at LOAD.
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            rig.receive(OPTIONS.withTimeout(Duration.ofSeconds(1)), p -> { });
            final SourceMigration m = source(rig, OPTIONS);
            m.onPhase(p -> {
                if (p == Phase.COMMIT) {
                    sleep(2500);
                }
            });
            assertThatThrownBy(() -> m.migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.getMessage()).contains("destination: ").containsPattern(
                                "no COMMIT from the peer within 1000 ms|no progress from the source");
                        assertThat(e.sourceRecovered()).isTrue();
                    });
        }
    }

    @Test
    void theDestinationsNoProgressTimeoutIsReportedAsSuch() throws Exception {
        // Nothing moves on any connection while the source stalls before its stop-copy, and it sends no heartbeat
        // (as a hung process would not): the destination's watchdog (1 s) gives up first and says so before it drops
        // the session. (With heartbeats the same stall migrates: HeartbeatTest.)
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            rig.receive(OPTIONS.withTimeout(Duration.ofSeconds(1)), p -> { });
            final SourceMigration m = source(rig, OPTIONS.withHeartbeat(Duration.ZERO));
            m.onPhase(p -> {
                if (p == Phase.STOP_COPY) {
                    sleep(2500);
                }
            });
            assertThatThrownBy(() -> m.migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.getMessage()).contains("destination: no progress from the source for 1000 ms")
                                .doesNotContainIgnoringCase("broken pipe");
                        assertThat(e.sourceRecovered()).isTrue();
                    });
        }
    }

    private static SourceMigration source(final MigrationRig rig, final MigrationOptions options) {
        return new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE, options,
                System::nanoTime);
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
