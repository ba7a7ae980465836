package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.migration.PrecopyInfo;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vfiouser.codec.TernExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PRECOPY_INFOv2 REINIT through Tern's vfio-user server: a dma-engine that re-initialises mid-pre-copy, migrated by
 * {@code tern migrate} over its socket; the REINIT reaches the migration only through the negotiated extension, and
 * the switchover waits for the re-initialised data's switchover-ack.
 */
@Timeout(60)
class ReinitOverSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long ENGINE = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void theMigrationSwitchesOverOnlyAfterTheReinitialisedDataIsAcknowledged() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path src = servers.dmaEngine("src.sock", DmaEngineConfig.ofMemory(ENGINE).withRate(0)
                    .withReinitAfter(ENGINE));
            final Path dst = servers.dmaEngine("dst.sock", 0, ENGINE);
            final Path events = dir.resolve("events.jsonl");
            final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                    dst.toString(), "--guest-memory", "1MiB");
            final int port = receive.listeningPort(WAIT);
            final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", src.toString(),
                    "--guest-memory", "1MiB", "--events", events.toString(), "--json", "--quiet");
            final Cli.Run received = receive.await(WAIT);
            assertThat(migrate.code()).as(migrate.err()).isZero();
            assertThat(received.code()).as(received.err()).isZero();
            assertThat(migrate.out()).contains("\"verified\":true");

            final List<String> lines = Files.readAllLines(events, StandardCharsets.UTF_8);
            final int reinit = index(lines, "\"event\":\"TERN_MIGRATION_REINIT\",\"data\":{\"device-id\":\"src.sock\"");
            final int secondAck = index(lines, "\"event\":\"TERN_SWITCHOVER_ACK\",\"data\":{\"device-id\":\"src.sock\","
                    + "\"count\":2}");
            final int switchover = index(lines, "\"status\":\"pre-switchover\"");
            assertThat(reinit).as(String.join("\n", lines)).isNotNegative();
            assertThat(secondAck).as(String.join("\n", lines)).isNotNegative();
            assertThat(switchover).isGreaterThan(secondAck).isGreaterThan(reinit);
            try (VfioUserMigrationTarget s = TestServers.open(src); VfioUserMigrationTarget d = TestServers.open(dst)) {
                assertThat(d.checksum()).isEqualTo(s.checksum());
                assertThat(d.state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }

    @Test
    void aClientThatDidNotNegotiateV2NeverSeesTheFlagOnlyTheInitialBytesJumping() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path src = servers.dmaEngine("src.sock", DmaEngineConfig.ofMemory(ENGINE).withRate(0)
                    .withReinitAfter(ENGINE));
            final ClientOptions old = new ClientOptions(ClientOptions.defaults().proposal()
                    .withTern(new TernExtension(true, true)), Duration.ofSeconds(10));
            try (VfioUserMigrationTarget t = new VfioUserMigrationTarget(VfioUserClient.connect(src, old), () -> { })) {
                assertThat(t.client().session().tern().precopyInfoV2()).isFalse();
                final List<PrecopyInfo> seen = drainTwice(t);
                assertThat(seen).noneMatch(PrecopyInfo::reinit);
                assertThat(seen.get(1).initialBytes()).isZero();
                assertThat(seen.get(2).initialBytes()).isEqualTo(ENGINE);
                t.reset();
            }
            try (VfioUserMigrationTarget t = TestServers.open(src)) {
                assertThat(t.client().session().tern().precopyInfoV2()).isTrue();
                final List<PrecopyInfo> seen = drainTwice(t);
                assertThat(seen.get(2).reinit()).isTrue();
                assertThat(seen.get(2).initialBytes()).isEqualTo(ENGINE);
                assertThat(seen.get(2).dirtyBytes()).isZero();
                assertThat(t.precopyInfo().reinit()).as("reported once").isFalse();
                t.reset();
            }
        }
    }

    /** PRE_COPY, PRECOPY_INFO, the whole initial data read, PRECOPY_INFO twice (the engine re-initialises between). */
    private static List<PrecopyInfo> drainTwice(final VfioUserMigrationTarget t) throws Exception {
        final var stream = t.setState(MigrationState.PRE_COPY).stream().orElseThrow();
        final PrecopyInfo first = t.precopyInfo();
        final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long read = 0;
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (read < first.initialBytes()) {
            assertThat(System.nanoTime()).as("the initial data never drained").isLessThan(deadline);
            read += Math.max(0, stream.read(buf.clear()));
        }
        return List.of(first, t.precopyInfo(), t.precopyInfo());
    }

    private static int index(final List<String> lines, final String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }
}
