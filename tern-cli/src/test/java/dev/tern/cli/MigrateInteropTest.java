package dev.tern.cli;

import static dev.tern.cli.MigrateCommandTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.RegionInfo;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate} and {@code receive} as a plain vfio-user client (no Tern extension proposed: no PRECOPY_INFO,
 * MIG_DATA_SIZE or checksum), and what a failed migration reports about each source device. Real vfio-user servers
 * on temporary sockets, real TCP on 127.0.0.1.
 */
@Timeout(90)
class MigrateInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String MEMORY = "4MiB";
    /** The uart's scratch register (BAR0 offset 7): state a reset clears. */
    private static final int SCR = 7;

    @TempDir
    Path dir;

    private TestServers servers;

    @BeforeEach
    void servers() {
        servers = new TestServers(dir);
    }

    @AfterEach
    void close() {
        servers.close();
    }

    @Test
    void plainVfioUserPrecopyConvergesAndReportsWhatItCouldNotVerify() throws Exception {
        // The engine keeps dirtying its memory during pre-copy: rounds must end on what the stream shows alone.
        final Path srcEngine = servers.dmaEngine("src-engine.sock", 2L << 20);
        final Path srcUart = servers.uart("src-uart.sock");
        final Path dstEngine = servers.dmaEngine("dst-engine.sock", 0);
        final Path dstUart = servers.uart("dst-uart.sock");
        writeScratch(srcUart, 0x5a);

        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                dstEngine.toString(), dstUart.toString(), "--guest-memory", MEMORY, "--plain-vfio-user", "-q");
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", srcEngine.toString(),
                srcUart.toString(), "--guest-memory", MEMORY, "--plain-vfio-user", "--json");
        final Cli.Run received = receive.await(WAIT);

        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(received.code()).as(received.err()).isZero();
        assertThat(migrate.out()).startsWith("{\"verified\":null,")
                .contains("\"memory_verification\":\"verified\"")
                .containsPattern("\"name\":\"src-engine.sock\",\"kind\":\"[^\"]+\",\"precopy_bytes\":[1-9][0-9]*,"
                        + "\"stop_copy_bytes\":[0-9]+,\"verification\":\"not verifiable\","
                        + "\"verification_detail\":\"no state checksum on the source or the destination")
                .contains("\"name\":\"src-uart.sock\"");
        assertThat(migrate.err()).contains("not verifiable: src-engine.sock", "not verifiable: src-uart.sock")
                .doesNotContain("did not drain");
        final int rounds = Integer.parseInt(migrate.out().replaceAll(".*\"rounds\":([0-9]+).*", "$1").strip());
        assertThat(rounds).as("converged before the round limit").isBetween(2, 29);

        assertThat(state(srcEngine)).isEqualTo(MigrationState.STOP);
        assertThat(state(dstEngine)).isEqualTo(MigrationState.RUNNING);
        assertThat(checksum(dstUart)).isEqualTo(checksum(srcUart));
        assertThat(readScratch(dstUart)).isEqualTo(0x5a);
    }

    @Test
    void verifyRequiredIsRefusedAtTheHandshakeWhenADeviceCannotBeVerified() throws Exception {
        final Path src = servers.uart("src.sock");
        final Path dst = servers.uart("dst.sock");
        writeScratch(src, 0x33);
        final long before = checksum(src);
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket", dst.toString(),
                "--guest-memory", MEMORY, "--plain-vfio-user", "-q");
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", src.toString(),
                "--guest-memory", MEMORY, "--plain-vfio-user", "--verify", "required", "-q");
        final Cli.Run received = receive.await(WAIT);

        assertOneLineError(migrate, 1, "migration failed in HANDSHAKE: destination refused: verification required");
        assertThat(migrate.err()).contains("device src.sock: no state checksum on the source or the destination",
                "src.sock running, state intact", "source devices running: yes").doesNotContain("LOST");
        assertThat(received.code()).isEqualTo(1);
        assertThat(received.err()).contains("verification required");
        assertThat(state(src)).isEqualTo(MigrationState.RUNNING);
        assertThat(checksum(src)).isEqualTo(before);
        assertThat(readScratch(src)).isEqualTo(0x33);
    }

    @Test
    void aRecoveryThatFallsBackToResetSaysTheStateIsLostAndExitsThree() throws Exception {
        // The destination's engine has half the memory: only loading its state can tell. Without pre-copy that
        // happens once the source devices are frozen in STOP_COPY.
        final Path srcEngine = servers.dmaEngine("src-engine.sock", 0);
        final Path srcUart = servers.uart("src-uart.sock");
        final Path dstEngine = servers.dmaEngine("dst-engine.sock", 0, TestServers.ENGINE_MEMORY / 2);
        final Path dstUart = servers.uart("dst-uart.sock");
        writeScratch(srcUart, 0x5a);
        final long engineBefore = checksum(srcEngine);
        try (VfioUserMigrationTarget t = TestServers.open(srcUart)) {
            // The uart's recovery arc out of STOP_COPY will fail, so recovery has to reset it.
            assertThat(t.failNextArc(Arc.STOP_COPY_TO_STOP, Errno.EIO)).isTrue();
        }
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                dstEngine.toString(), dstUart.toString(), "--guest-memory", MEMORY, "-q");
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", srcEngine.toString(),
                srcUart.toString(), "--guest-memory", MEMORY, "--no-precopy", "-q", "--json");
        receive.await(WAIT);

        assertOneLineError(migrate, MigrateCommand.EXIT_STATE_LOST, "migration failed in ");
        assertThat(migrate.err()).contains("src-engine.sock running, state intact",
                "src-uart.sock running after reset, state LOST", "state LOST or unknown")
                .doesNotContain("src-uart.sock running, state intact");
        assertThat(migrate.out()).startsWith("{\"failed\":true,\"phase\":\"")
                .contains("\"state_lost\":true,")
                .contains("{\"name\":\"src-uart.sock\",\"state\":\"RUNNING\",\"reset\":true,\"integrity\":\"lost\"")
                .contains("{\"name\":\"src-engine.sock\",\"state\":\"RUNNING\",\"reset\":false,"
                        + "\"integrity\":\"intact\"");
        // What the message says is what happened: the uart runs, its scratch register reset; the engine is intact.
        assertThat(state(srcUart)).isEqualTo(MigrationState.RUNNING);
        assertThat(readScratch(srcUart)).isZero();
        assertThat(state(srcEngine)).isEqualTo(MigrationState.RUNNING);
        assertThat(checksum(srcEngine)).isEqualTo(engineBefore);
    }

    private static void writeScratch(final Path uart, final int value) throws Exception {
        try (VfioUserMigrationTarget t = TestServers.open(uart)) {
            t.client().writeRegion(RegionInfo.PCI_CONFIG, 4, new byte[] {1, 0});   // PCI command: I/O space
            t.client().writeRegion(RegionInfo.PCI_BAR0, SCR, new byte[] {(byte) value});
        }
    }

    private static int readScratch(final Path uart) throws Exception {
        try (VfioUserMigrationTarget t = TestServers.open(uart)) {
            return t.client().readRegion(RegionInfo.PCI_BAR0, SCR, 1)[0] & 0xff;
        }
    }

    private static long checksum(final Path socket) throws Exception {
        try (VfioUserMigrationTarget t = TestServers.open(socket)) {
            return t.checksum();
        }
    }

    private static MigrationState state(final Path socket) throws Exception {
        try (VfioUserMigrationTarget t = TestServers.open(socket)) {
            return t.queryState();
        }
    }
}
