package dev.tern.cli;

import static dev.tern.cli.MigrateCommandTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tern receive --events}: the destination's side of a migration over real sockets, in QMP's vocabulary. */
@Timeout(60)
class ReceiveEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern STATUS = Pattern.compile(
            "\"event\":\"MIGRATION\",\"data\":\\{\"status\":\"([a-z-]+)\"");
    private static final Pattern DEVICE = Pattern.compile(
            "\"event\":\"VFIO_MIGRATION\",\"data\":\\{\"device-id\":\"([^\"]+)\",\"device-state\":\"([a-z0-9-]+)\"");

    @TempDir
    Path dir;

    @Test
    void theDestinationWritesItsStatusesAndEachDeviceStateAsReadBack() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path srcEngine = servers.dmaEngine("src-engine.sock", 0);
            final Path srcUart = servers.uart("src-uart.sock");
            final Path dstEngine = servers.dmaEngine("dst-engine.sock", 0);
            final Path dstUart = servers.uart("dst-uart.sock");
            final Path events = dir.resolve("dest-events.jsonl");
            final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                    dstEngine.toString(), dstUart.toString(), "--guest-memory", "1MiB", "--events",
                    events.toString(), "-q");
            final int port = receive.listeningPort(WAIT);
            final Cli.Run migrate = Cli.run("migrate", "--to", "127.0.0.1:" + port, "--socket", srcEngine.toString(),
                    srcUart.toString(), "--guest-memory", "1MiB", "-q");
            final Cli.Run received = receive.await(WAIT);
            assertThat(migrate.code()).as(migrate.err()).isZero();
            assertThat(received.code()).as(received.err()).isZero();

            final List<String> lines = Files.readAllLines(events, StandardCharsets.UTF_8);
            assertThat(lines).allMatch(l -> l.startsWith("{\"timestamp\":{\"seconds\":") && l.endsWith("}}"));
            assertThat(matches(lines, STATUS, 1)).containsExactly("setup", "active", "device", "completed");
            for (final String device : List.of("dst-engine.sock", "dst-uart.sock")) {
                assertThat(states(lines, device)).containsExactly("resuming", "stop", "running-p2p", "running");
            }
        }
    }

    @Test
    void anEventsFileThatCannotBeWrittenIsOneLineBeforeAnythingListens() throws Exception {
        final Cli.Run r = Cli.run("receive", "--listen", "127.0.0.1:0", "--socket", dir.resolve("x.sock").toString(),
                "--guest-memory", "1MiB", "--events", dir.resolve("no/such/dir/e.jsonl").toString());
        assertOneLineError(r, 2, "--events");
        assertThat(r.err()).doesNotContain("listening on");
    }

    private static List<String> matches(final List<String> lines, final Pattern p, final int group) {
        return lines.stream().map(p::matcher).filter(Matcher::find).map(m -> m.group(group)).toList();
    }

    private static List<String> states(final List<String> lines, final String device) {
        return lines.stream().map(DEVICE::matcher).filter(Matcher::find).filter(m -> m.group(1).equals(device))
                .map(m -> m.group(2)).toList();
    }
}
