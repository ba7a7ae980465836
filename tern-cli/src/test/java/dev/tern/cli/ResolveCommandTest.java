package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tern resolve} over real TCP (issue 9 item 13). Which side runs after a committed or rolled-back session is
 * covered with a cutting proxy in tern-migration's CommitDoubtTest; here: the command's answers and errors.
 */
@Timeout(60)
class ResolveCommandTest {
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
    void aReceiveAnswersForASessionItNeverSawAndKeepsWaiting() throws Exception {
        final Path secret = dir.resolve("key");
        final Path dst = servers.uart("dst.sock");
        final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket", dst.toString(),
                "--guest-memory", "1MiB", "--auth-file", secret.toString(), "--timeout", "3");
        final int port = receive.listeningPort(WAIT);
        final Cli.Run resolve = Cli.run("resolve", "--to", "127.0.0.1:" + port, "--session", "00000000000000ab",
                "--auth-file", secret.toString());
        assertThat(resolve.code()).as(resolve.err()).isEqualTo(1);
        assertThat(resolve.out()).isEqualTo("session 00000000000000ab: unknown to the destination: in doubt; keep the"
                + " source devices stopped and check the destination\n");
        assertThat(receive.code()).isNotDone();
        assertThat(receive.await(WAIT).code()).isEqualTo(1);
    }

    @Test
    void noAnswerWithinTheTimeoutIsStillInDoubt() throws Exception {
        final int port;
        try (ServerSocket closed = new ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        final Cli.Run resolve = Cli.run("resolve", "--to", "127.0.0.1:" + port, "--session", "1", "--timeout", "1");
        assertThat(resolve.code()).isEqualTo(1);
        assertThat(resolve.err()).startsWith("tern: session 0000000000000001: no answer from 127.0.0.1:" + port)
                .contains("still in doubt");
    }

    @Test
    void aSessionIdThatIsNotHexIsABadArgument() {
        final Cli.Run resolve = Cli.run("resolve", "--to", "127.0.0.1:1", "--session", "xyz");
        assertThat(resolve.code()).isEqualTo(2);
        assertThat(resolve.err()).isEqualTo("tern: --session xyz: not a session id (up to 16 hex digits)\n");
    }

    @Test
    void aTimeoutOutOfRangeIsABadArgument() {
        for (final String t : new String[] {"0", "86401"}) {
            final Cli.Run resolve = Cli.run("resolve", "--to", "127.0.0.1:1", "--session", "ab", "--timeout", t);
            assertThat(resolve.code()).isEqualTo(2);
            assertThat(resolve.err()).isEqualTo("tern: --timeout must be 1..86400 seconds\n");
            final Cli.Run info = Cli.run("info", "--socket", "/nonexistent.sock", "--timeout", t);
            assertThat(info.code()).isEqualTo(2);
            assertThat(info.err()).isEqualTo("tern: --timeout must be 1..86400 seconds\n");
        }
    }
}
