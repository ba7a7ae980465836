package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.migration.wire.Preamble;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 11 end to end: {@code receive --auth-file} creates the secret, a stranger's 32-byte preamble and a
 * source without the secret are turned away without ending the receive, and the source holding the secret migrates.
 */
@Timeout(60)
class ReceiveAuthTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

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
    void onlyTheSourceHoldingTheSecretCanFeedTheReceive() throws Exception {
        final Path src = servers.uart("src.sock");
        final Path dst = servers.uart("dst.sock");
        final Path secret = dir.resolve("migration.key");
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket", dst.toString(),
                "--guest-memory", "1MiB", "--auth-file", secret.toString());
        final int port = receive.listeningPort(WAIT);
        assertThat(receive.err().toString()).contains("session secret written to " + secret.toAbsolutePath());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");

        // The hijack of issue 9: a bare control preamble, first in line. On main it took (and aborted) the receive.
        try (SocketChannel stranger = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                port))) {
            Preamble.control(1, 0).write(stranger);
            final Cli.Run unauthenticated = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket",
                    src.toString(), "--guest-memory", "1MiB", "--timeout", "5");
            assertThat(unauthenticated.code()).isEqualTo(1);
            assertThat(unauthenticated.err()).contains("requires session authentication")
                    .contains("[source devices running: yes]");
            assertThat(receive.code()).isNotDone();
        }
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", src.toString(),
                "--guest-memory", "1MiB", "--auth-file", secret.toString());
        final Cli.Run received = receive.await(WAIT);
        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(received.code()).as(received.err()).isZero();
        assertThat(received.err()).contains("(authenticated)");
    }

    @Test
    void aSecretFileOthersCanReadIsABadArgument() throws Exception {
        final Path secret = dir.resolve("open.key");
        Files.writeString(secret, "00".repeat(32) + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:9", "--socket", dir.resolve("x.sock")
                .toString(), "--guest-memory", "1MiB", "--auth-file", secret.toString());
        assertThat(migrate.code()).isEqualTo(2);
        assertThat(migrate.err().strip()).startsWith("tern: --auth-file: ").contains("chmod 600")
                .doesNotContain("\n");
    }

    @Test
    void aReceiveOnANonLoopbackAddressWithoutASecretWarns() throws Exception {
        final Path dst = servers.uart("dst.sock");
        final Cli.Background receive = Cli.start("receive", "--listen", "0.0.0.0:0", "--socket", dst.toString(),
                "--guest-memory", "1MiB", "--timeout", "1");
        receive.listeningPort(WAIT);
        assertThat(receive.err().toString()).contains("warning: no --auth-file: anyone who can reach 0.0.0.0:0");
        assertThat(receive.await(WAIT).code()).isEqualTo(1);
    }
}
