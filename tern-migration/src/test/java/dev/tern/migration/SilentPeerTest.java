package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.channel.MigrationConnector;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.RecordKind;
import dev.tern.protocol.MigrationState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer that stops talking without closing anything: the watchdog must end the migration and recovery run. */
class SilentPeerTest {

    private static final long MIB = 1 << 20;
    private static final MigrationOptions SHORT = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(2));

    @Test
    void aDestinationThatStopsReadingFailsTheMigrationAndTheSourceRecovers() throws Exception {
        try (MigrationRig rig = new MigrationRig(16 * MIB, 16 * MIB, 16 * MIB)) {
            final long[] before = rig.sourceChecksums();
            // A "destination" that accepts, says yes to the handshake, then never reads again.
            final CompletableFuture<Session> silent = CompletableFuture.supplyAsync(() -> {
                try {
                    final Session s = rig.listener.accept(SHORT.timeout());
                    s.control().reader().read();
                    s.control().writer().write(RecordKind.HELLO_REPLY, -1,
                            new HelloReply(true, "", new boolean[rig.destination.size()]).encode());
                    return s;
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            final long start = System.nanoTime();
            assertThatThrownBy(() -> new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    SHORT, System::nanoTime).migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.sourceRecovered()).isTrue();
                        assertThat(e.getMessage()).containsAnyOf("no progress", "within 2000 ms");
                    });
            assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(8).toNanos());
            silent.get(5, TimeUnit.SECONDS).close();
            for (final MigratingDevice d : rig.source) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RUNNING);
            }
            assertThat(rig.sourceChecksums()).isEqualTo(before);
        }
    }

    @Test
    void aSourceThatGoesQuietAfterTheHandshakeMakesTheDestinationResetItsDevices() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(SHORT, p -> { });
            try (Session s = MigrationConnector.connect(rig.listener.address(), rig.source.size() + 1,
                    Optional.empty(), SHORT.timeout())) {
                s.control().writer().write(RecordKind.HELLO, -1, Hello.of(rig.sourceMemory.size(), VerifyMode.AUTO, true,
                        rig.source).encode());
                assertThat(s.control().reader().read().kind()).isEqualTo(RecordKind.HELLO_REPLY);
                assertThatThrownBy(() -> dest.get(10, TimeUnit.SECONDS)).hasMessageContaining("no progress");
            }
            for (final MigratingDevice d : rig.destination) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }
}
