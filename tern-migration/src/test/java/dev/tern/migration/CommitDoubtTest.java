package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.channel.Session;
import dev.tern.migration.testing.FaultProxy;
import dev.tern.migration.wire.RecordCodec;
import dev.tern.protocol.MigrationState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 13, the commit-point doubt window: the connection is cut by a proxy exactly as COMMIT leaves the
 * source, either just after COMMIT reached the destination (it commits; COMMITTED is lost) or just before (it never
 * commits). On main the source kept its devices stopped in both cases and nothing ran. Now it reconnects and asks;
 * in both cases exactly one side runs the devices.
 */
class CommitDoubtTest {
    private static final long MIB = 1 << 20;
    /** The cuts count bytes exactly, so no heartbeat may slip in before the COMMIT record. */
    private static final MigrationOptions OPTIONS = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))
            .withHeartbeat(Duration.ZERO);

    /** The destination of the rig, answering outcome queries while and after it receives. */
    private static CompletableFuture<DestinationMigration.Result> destination(final MigrationRig rig,
            final OutcomeStore outcomes, final AtomicBoolean over) {
        final DestinationMigration d = new DestinationMigration(rig.destination, rig.destMemory, OPTIONS,
                System::nanoTime);
        d.outcomes(outcomes);
        rig.listener.answerQueries(outcomes);
        return CompletableFuture.supplyAsync(() -> {
            try {
                final Session s = rig.listener.accept(OPTIONS.timeout());
                rig.destSession.set(s);
                Thread.ofVirtual().start(() -> {
                    try {
                        rig.listener.serveQueries(Duration.ofSeconds(30), over::get);
                    } catch (final java.io.IOException e) {
                        // listener closed
                    }
                });
                return d.receive(s);
            } catch (final java.io.IOException | MigrationFailedException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, task -> Thread.ofVirtual().start(task));
    }

    @Test
    void commitReachedTheDestinationButCommittedWasLost() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB);
                FaultProxy proxy = FaultProxy.start(rig.listener.address())) {
            final long[] before = rig.sourceChecksums();
            final AtomicBoolean over = new AtomicBoolean();
            final OutcomeStore outcomes = OutcomeStore.standard();
            final CompletableFuture<DestinationMigration.Result> dest = destination(rig, outcomes, over);
            final SourceMigration m = source(rig);
            final StringBuilder progress = new StringBuilder();
            m.onProgress(line -> progress.append(line).append('\n'));
            // The destination has the COMMIT in its socket when the cut comes, but the source's question may still
            // overtake it (and would fence the session: rolled back, also a correct outcome). This case is about a
            // commit that happened, so the question is let through only once the destination runs the devices.
            m.onPhase(p -> {
                if (p == Phase.COMMIT) {
                    proxy.refuseConnectionsWhile(() -> rig.destination.stream()
                            .anyMatch(d -> d.target().state() != MigrationState.RUNNING));
                    // Forward the COMMIT record (header + empty payload + CRC), then cut everything.
                    proxy.cutAfterBytes(proxy.bytesForwarded() + RecordCodec.HEADER_SIZE + RecordCodec.TRAILER_SIZE);
                }
            });
            final MigrationReport report = m.migrate(proxy.address(), Optional.empty());
            over.set(true);

            assertThat(progress).contains("connection lost after COMMIT").contains("confirms the commit");
            assertThat(report.verified()).isTrue();
            assertThat(dest.get(10, TimeUnit.SECONDS).deviceBytes()).isPositive();
            for (int i = 0; i < rig.source.size(); i++) {
                assertThat(rig.source.get(i).target().state()).isEqualTo(MigrationState.STOP);
                assertThat(rig.destination.get(i).target().state()).isEqualTo(MigrationState.RUNNING);
                assertThat(rig.destination.get(i).target().checksum()).isEqualTo(before[i]);
            }
        }
    }

    @Test
    void commitNeverReachedTheDestination() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB);
                FaultProxy proxy = FaultProxy.start(rig.listener.address())) {
            final long[] before = rig.sourceChecksums();
            final AtomicBoolean over = new AtomicBoolean();
            final OutcomeStore outcomes = OutcomeStore.standard();
            final CompletableFuture<DestinationMigration.Result> dest = destination(rig, outcomes, over);
            final SourceMigration m = source(rig);
            m.onPhase(p -> {
                if (p == Phase.COMMIT) {
                    proxy.cutAfterBytes(proxy.bytesForwarded()); // the COMMIT record is the next byte: dropped
                }
            });
            assertThatThrownBy(() -> m.migrate(proxy.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.sourceRecovered()).as(e.getMessage()).isTrue();
                        assertThat(e.getMessage()).contains("rolled back");
                    });
            over.set(true);
            // The destination never ran them: it failed before its commit and reset its devices.
            assertThatThrownBy(() -> dest.get(10, TimeUnit.SECONDS)).hasMessageContaining("receive failed in COMMIT")
                    .hasMessageContaining("destination devices reset");
            assertThat(outcomes.resolve(rig.destSession.get().id())).isEqualTo(CommitOutcome.ROLLED_BACK);
            for (int i = 0; i < rig.source.size(); i++) {
                assertThat(rig.source.get(i).target().state()).isEqualTo(MigrationState.RUNNING);
            }

            assertThat(rig.sourceChecksums()).isEqualTo(before);
            assertThat(rig.sourceEngines.get(0).workloadRunning()).isTrue();
        }
    }

    private static SourceMigration source(final MigrationRig rig) {
        return new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE, OPTIONS,
                System::nanoTime);
    }
}
