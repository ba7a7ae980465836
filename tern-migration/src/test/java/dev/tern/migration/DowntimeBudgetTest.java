package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.SwitchoverPolicy.NoConvergence;
import dev.tern.migration.report.TextReport;
import dev.tern.protocol.MigrationState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hard downtime budget over loopback TCP: abort leaves the source running, switch reports the excess. */
class DowntimeBudgetTest {

    private static final long MIB = 1 << 20;
    /** A budget no switchover can keep: 1 ns (the target is 0, so pre-copy runs to its round limit). */
    private static final MigrationOptions UNREACHABLE = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10))
            .withDowntimeLimit(Duration.ZERO).withMaxRounds(2);

    @Test
    void aBudgetThatCannotBeMetAbortsBeforeTheSwitchoverAndTheSourceRunsOn() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final long[] before = rig.sourceChecksums();
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(UNREACHABLE, p -> { });
            final MigrationOptions options = UNREACHABLE.withMaxDowntime(Duration.ofNanos(1), NoConvergence.ABORT);
            assertThatThrownBy(() -> new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    options, MigrationClock.SYSTEM).migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.phase()).isEqualTo(Phase.PRE_COPY);
                        assertThat(e.sourceRecovered()).isTrue();
                        assertThat(e.getMessage()).contains("no convergence", "exceeds --max-downtime",
                                "after 2 rounds");
                    });
            assertThatThrownBy(() -> dest.get(10, TimeUnit.SECONDS)).hasMessageContaining("no convergence");
            for (int i = 0; i < rig.source.size(); i++) {
                assertThat(rig.source.get(i).target().state()).isEqualTo(MigrationState.RUNNING);
                assertThat(rig.destination.get(i).target().state()).isEqualTo(MigrationState.RUNNING);
            }
            assertThat(rig.sourceChecksums()).isEqualTo(before);
        }
    }

    @Test
    void switchingOverAnywayReportsTheBudgetAsExceeded() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(UNREACHABLE, p -> { });
            final MigrationReport report = new SourceMigration(rig.source, rig.sourceMemory,
                    SourceMigration.Guest.NONE, UNREACHABLE.withMaxDowntime(Duration.ofNanos(1),
                            NoConvergence.SWITCH), MigrationClock.SYSTEM).migrate(rig.listener.address(),
                    Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            assertThat(report.rounds()).isEqualTo(2);
            assertThat(report.budgetKept()).isFalse();
            assertThat(report.budget().estimated()).isTrue();
            assertThat(report.toJson()).contains("\"max_downtime_kept\":false", "\"downtime_estimate_ms\":");
            assertThat(TextReport.render(report)).contains("EXCEEDED", "estimated");
        }
    }

    @Test
    void everyReportCarriesTheEstimateBesideTheMeasuredDowntime() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final MigrationOptions options = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10))
                    .withMaxDowntime(Duration.ofSeconds(5), NoConvergence.ABORT);
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(options, p -> { });
            final MigrationReport report = new SourceMigration(rig.source, rig.sourceMemory,
                    SourceMigration.Guest.NONE, options, MigrationClock.SYSTEM).migrate(rig.listener.address(),
                    Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            assertThat(report.budget().estimateMs()).isPositive().isLessThan(300);
            assertThat(report.budgetKept()).isTrue();
            assertThat(report.toJson()).contains("\"max_downtime_ms\":5000.000", "\"max_downtime_kept\":true");
        }
    }
}
