package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.channel.MigrationConnector;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import dev.tern.protocol.MigrationState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats over real sockets: a side busy in a long step stays alive for its peer, and the destination follows the
 * source's STOP_COPY_BEGIN.
 */
class HeartbeatTest {

    private static final long MIB = 1 << 20;
    private static final MigrationOptions SHORT = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(1));

    @Test
    void aSourceBusyLongerThanTheDestinationsTimeoutStillMigrates() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(SHORT, p -> { });
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    SHORT.withTimeout(Duration.ofSeconds(10)), MigrationClock.SYSTEM);
            m.onPhase(p -> {
                if (p == Phase.STOP_COPY) {
                    // A slow stop-copy arc (a device with a large state takes its time): nothing but heartbeats
                    // reaches the destination for twice its timeout.
                    sleep(2_000);
                }
            });
            final MigrationReport report = m.migrate(rig.listener.address(), Optional.empty());
            final DestinationMigration.Result received = dest.get(10, TimeUnit.SECONDS);
            assertThat(report.verified()).isTrue();
            assertThat(report.downtimeMs()).isGreaterThanOrEqualTo(1_900);
            assertThat(received.downtimeMs()).isPositive().isLessThan(report.downtimeMs());
            for (final MigratingDevice d : rig.destination) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }

    @Test
    void heartbeatsAloneDoNotEndTheStreamsAndASourceWithoutStopCopyBeginIsRefused() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(SHORT, p -> { });
            try (Session s = MigrationConnector.connect(rig.listener.address(), rig.source.size() + 1,
                    Optional.empty(), SHORT.timeout())) {
                s.control().writer().write(RecordKind.HELLO, -1, Hello.of(rig.sourceMemory.size(), VerifyMode.OFF,
                        true, rig.source).encode());
                assertThat(s.control().reader().read().kind()).isEqualTo(RecordKind.HELLO_REPLY);
                // Ends every stream without announcing the stop-copy, and keeps itself alive with heartbeats.
                for (int i = 0; i < rig.source.size(); i++) {
                    s.data().get(i).writer().write(RecordKind.DEVICE_END, i, ByteBuffer.allocate(8).putLong(0).flip());
                }
                s.data().get(rig.source.size()).writer().write(RecordKind.MEMORY_END, -1);
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (!dest.isDone() && System.nanoTime() < deadline) {
                    s.control().writer().write(RecordKind.HEARTBEAT, -1);
                    sleep(100);
                }
                assertThatThrownBy(() -> dest.get(1, TimeUnit.SECONDS))
                        .hasMessageContaining("without STOP_COPY_BEGIN").hasMessageNotContaining("no progress");
                final Record abort = s.control().reader().read();
                assertThat(abort.kind()).isIn(RecordKind.HEARTBEAT, RecordKind.ABORT);
            }
            for (final MigratingDevice d : rig.destination) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
