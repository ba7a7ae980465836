package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tern receive} and {@code tern migrate} end to end: in-process vfio-user servers on temporary sockets, the
 * two commands talking real TCP on 127.0.0.1, and the devices inspected through a client afterwards.
 */
@Timeout(60)
class MigrateCommandTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String MEMORY = "4MiB";

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
    void migratesTheDevicesAndTheDestinationHoldsTheSourceState() throws Exception {
        final Path srcEngine = servers.dmaEngine("src-engine.sock", 4L << 20);
        final Path srcUart = servers.uart("src-uart.sock");
        final Path dstEngine = servers.dmaEngine("dst-engine.sock", 0);
        final Path dstUart = servers.uart("dst-uart.sock");
        // Once the workload has mutated some memory (MUTATED > 0), stop it (RATE = 0, which migrates too): the
        // state then differs from a fresh engine's and stays still, so the checksums can be compared afterwards.
        try (VfioUserMigrationTarget t = TestServers.open(srcEngine)) {
            t.client().writeRegion(7, 4, new byte[] {2, 0});                     // PCI command: memory space
            final long deadline = System.nanoTime() + WAIT.toNanos();
            while (ByteBuffer.wrap(t.client().readRegion(0, 0x58, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong() == 0) {
                assertThat(System.nanoTime()).as("the dma-engine workload never ran").isLessThan(deadline);
                Thread.sleep(10);
            }
            t.client().writeRegion(0, 0x48, new byte[8]);
        }
        final long before = checksum(srcEngine);
        assertThat(checksum(dstEngine)).isNotEqualTo(before);

        final Path report = dir.resolve("report.html");
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                dstEngine.toString(), dstUart.toString(), "--guest-memory", MEMORY);
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", srcEngine.toString(),
                "--socket", srcUart.toString(), "--guest-memory", MEMORY, "--report", report.toString());
        final Cli.Run received = receive.await(WAIT);

        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(migrate.out()).contains("verified: true", "src-engine.sock", "src-uart.sock", "downtime: ")
                .contains("report: " + report.toAbsolutePath());
        assertThat(migrate.err()).contains("  phase HANDSHAKE", "  phase COMMIT");
        assertThat(received.code()).as(received.err()).isZero();
        assertThat(received.out()).startsWith("received from 127.0.0.1:").contains("dst-engine.sock")
                .contains("pci 7e27:0002").contains("RUNNING");
        assertThat(received.err()).startsWith("tern: listening on 127.0.0.1:" + port + "\n");

        assertThat(checksum(dstEngine)).isEqualTo(checksum(srcEngine)).isEqualTo(before);
        assertThat(checksum(dstUart)).isEqualTo(checksum(srcUart));
        assertThat(state(srcEngine)).isEqualTo(MigrationState.STOP);
        assertThat(state(dstEngine)).isEqualTo(MigrationState.RUNNING);

        final String html = Files.readString(report, StandardCharsets.UTF_8);
        assertThat(html).startsWith("<!DOCTYPE html").contains("</html>").containsIgnoringCase("<style")
                .doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//")
                .doesNotContainPattern("(?i)<link\\b");
    }

    @Test
    void jsonWhileTheEngineKeepsWriting() throws Exception {
        final Path src = servers.dmaEngine("src.sock", 8L << 20);
        final Path dst = servers.dmaEngine("dst.sock", 0);
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket", dst.toString(),
                "--guest-memory", MEMORY, "--json", "--quiet");
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", src.toString(),
                "--guest-memory", MEMORY, "--json", "--downtime-limit", "50", "--max-downtime", "10000",
                "--on-no-convergence", "abort", "-q");
        final Cli.Run received = receive.await(WAIT);

        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(migrate.err()).isEmpty();
        assertThat(migrate.out().lines().toList()).hasSize(1);
        assertThat(migrate.out()).startsWith("{\"verified\":true,\"downtime_ms\":")
                .containsPattern("\"total_ms\":[0-9.]+,\"bytes\":[1-9][0-9]*,\"rounds\":[1-9]")
                .containsPattern("\"downtime_estimate_ms\":[0-9.]+,\"downtime_limit_ms\":50.000,"
                        + "\"max_downtime_ms\":10000.000,\"max_downtime_kept\":true");
        assertThat(received.code()).isZero();
        assertThat(received.err().lines().toList()).hasSize(1);
        assertThat(received.out()).startsWith("{\"from\":\"127.0.0.1:").containsPattern(
                "\"device_bytes\":[1-9][0-9]*,\"memory_bytes\":[0-9]+,\"devices\":\\[\\{\"name\":\"dst.sock\","
                        + "\"kind\":\"pci 7e27:0002\",\"state\":\"RUNNING\"}]}");
    }

    @Test
    void overTlsWithoutPrecopy() throws Exception {
        final Path keystore = keystore(dir);
        final Path password = dir.resolve("password");
        Files.writeString(password, "changeit\n");
        final Path src = servers.uart("src.sock");
        final Path dst = servers.uart("dst.sock");
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket", dst.toString(),
                "--guest-memory", MEMORY, "--tls-keystore", keystore.toString(), "--tls-password-file",
                password.toString());
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "localhost:" + port, "--socket", src.toString(),
                "--guest-memory", MEMORY, "--no-precopy", "--tls-keystore", keystore.toString(),
                "--tls-password-file", password.toString());
        final Cli.Run received = receive.await(WAIT);
        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(migrate.out()).contains("rounds: 0", "verified: true");
        assertThat(received.code()).isZero();
        assertThat(received.err()).contains("(TLS)");

        Files.writeString(password, "wrong\n");
        final Cli.Run wrong = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", src.toString(),
                "--guest-memory", MEMORY, "--tls-keystore", keystore.toString(), "--tls-password-file",
                password.toString());
        assertOneLineError(wrong, 2, "PKCS12");
    }

    @Test
    void nobodyListeningFailsAndTheSourceRunsAgain() throws Exception {
        final Path src = servers.dmaEngine("src.sock", 0);
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        final Cli.Run r = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", src.toString(),
                "--guest-memory", MEMORY, "--timeout", "5", "--quiet");
        assertOneLineError(r, 1, "source devices running: yes");
        assertThat(r.out()).isEmpty();
        assertThat(state(src)).isEqualTo(MigrationState.RUNNING);
    }

    @Test
    void devicesInADifferentOrderAreRefusedBeforeAnythingStops() throws Exception {
        final Path srcEngine = servers.dmaEngine("src-engine.sock", 1 << 20);
        final Path srcUart = servers.uart("src-uart.sock");
        final Path dstEngine = servers.dmaEngine("dst-engine.sock", 0);
        final Path dstUart = servers.uart("dst-uart.sock");
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                dstUart.toString(), dstEngine.toString(), "--guest-memory", MEMORY, "-q");
        final int port = receive.listeningPort(WAIT);
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", srcEngine.toString(),
                srcUart.toString(), "--guest-memory", MEMORY, "-q");
        final Cli.Run received = receive.await(WAIT);
        assertOneLineError(migrate, 1, "source devices running: yes");
        assertThat(migrate.err()).contains("pci 7e27:0001");
        assertThat(received.code()).isEqualTo(1);
        assertThat(received.err().lines().toList()).hasSize(2).last().asString().startsWith("tern: ")
                .contains("destination device is a");
        assertThat(state(srcEngine)).isEqualTo(MigrationState.RUNNING);
        assertThat(state(srcUart)).isEqualTo(MigrationState.RUNNING);
    }

    @Test
    void badArgumentsAreOneLineAndExitTwo() throws Exception {
        final Path src = servers.uart("src.sock");
        final String s = src.toString();
        final Path missing = dir.resolve("nobody.sock");
        for (final String[] args : List.of(
                new String[] {"migrate", "--socket", s, "--guest-memory", MEMORY},
                new String[] {"migrate", "--to", "127.0.0.1", "--socket", s, "--guest-memory", MEMORY},
                new String[] {"migrate", "--to", "127.0.0.1:0", "--socket", s, "--guest-memory", MEMORY},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", "1000"},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", "4M",
                    "--timeout", "0"},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", missing.toString(),
                    "--guest-memory", MEMORY},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, s, "--guest-memory", MEMORY},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", MEMORY,
                    "--report", dir.resolve("no/such/dir/r.html").toString()},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", MEMORY,
                    "--tls-keystore", "k.p12"},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", MEMORY,
                    "--max-downtime", "100"},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", MEMORY,
                    "--max-downtime", "500", "--on-no-convergence", "maybe"},
                new String[] {"migrate", "--to", "127.0.0.1:7000", "--socket", s, "--guest-memory", MEMORY,
                    "--tls-keystore", "k.p12", "--tls-password-file", missing.toString()},
                new String[] {"receive", "--listen", "127.0.0.1:70000", "--socket", s, "--guest-memory", MEMORY},
                new String[] {"receive", "--listen", "[::1:7000", "--socket", s, "--guest-memory", MEMORY},
                new String[] {"receive", "--listen", "127.0.0.1:0", "--guest-memory", MEMORY},
                new String[] {"receive", "--listen", "127.0.0.1:0", "--socket", missing.toString(),
                    "--guest-memory", MEMORY})) {
            final Cli.Run r = Cli.run(args);
            assertOneLineError(r, 2, "");
        }
        assertThat(Cli.run("migrate", "--to", "127.0.0.1:7000", "--socket", missing.toString(), "--guest-memory",
                MEMORY).err()).contains("nobody.sock");
        assertThat(state(src)).isEqualTo(MigrationState.RUNNING);
    }

    @Test
    void anAddressInUseIsOneLineAndTheDevicesAreReleased() throws Exception {
        final Path dst = servers.uart("dst.sock");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final Cli.Run r = Cli.run("receive", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--socket",
                    dst.toString(), "--guest-memory", MEMORY);
            assertOneLineError(r, 2, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        assertThat(state(dst)).isEqualTo(MigrationState.RUNNING);
    }

    static void assertOneLineError(final Cli.Run r, final int code, final String contains) {
        final String what = r.err() + r.out();
        assertThat(r.code()).as(what).isEqualTo(code);
        assertThat(r.err().lines().toList()).as(what).hasSize(1).first().asString().startsWith("tern: ")
                .contains(contains);
        assertThat(r.err()).doesNotContain("Exception:").doesNotContain("\tat ");
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

    /** A self-signed EC key made by the JDK's keytool, used and trusted by both sides. */
    private static Path keystore(final Path dir) throws IOException, InterruptedException {
        final Path store = dir.resolve("tern.p12");
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-J-Xshare:auto", "-J-XX:TieredStopAtLevel=1", "-genkeypair", "-alias", "tern", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=tern", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(output).isTrue();
        return store;
    }
}
