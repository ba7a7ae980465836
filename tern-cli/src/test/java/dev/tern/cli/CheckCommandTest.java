package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tern check}: the conformance kit's output contract, in-process and over vfio-user sockets. */
@Timeout(60)
class CheckCommandTest {

    @TempDir
    Path dir;

    @Test
    void threeServersWithFaultInjectionPassEveryCheck() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path a = servers.dmaEngine("a.sock", 80 << 10);
            final Path b = servers.dmaEngine("b.sock", 80 << 10);
            final Path c = servers.dmaEngine("c.sock", 80 << 10);
            final Cli.Run r = Cli.run("check", "--socket", a.toString(), b.toString(), "--socket", c.toString());
            final List<String> lines = r.out().lines().toList();
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(lines.getLast()).matches("[1-9][0-9]+ passed, 0 failed");
            assertThat(lines.subList(0, lines.size() - 1)).allMatch(l -> l.startsWith("PASS "))
                    .anyMatch(l -> l.startsWith("PASS failing arc")).hasSizeGreaterThan(60);
        }
    }

    @Test
    void oneServerCannotHoldASourceAndADestination() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Cli.Run r = Cli.run("check", "--socket", servers.uart("only.sock").toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.out().lines().toList().getLast()).matches("[0-9]+ passed, [1-9][0-9]* failed.*");
            assertThat(r.out()).contains("FAIL ").contains("in use");
        }
    }

    @Test
    void anInProcessSampleStillWorks() {
        final Cli.Run r = Cli.run("check", "--device", "uart");
        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out().lines().toList().getLast()).matches("[1-9][0-9]+ passed, 0 failed");
    }

    @Test
    void badArgumentsAreOneLineAndExitTwo() {
        for (final String[] args : List.of(new String[] {"check"},
                new String[] {"check", "--device", "uart", "--socket", "x.sock"},
                new String[] {"check", "--device", "toaster"},
                new String[] {"check", "--socket"})) {
            MigrateCommandTest.assertOneLineError(Cli.run(args), 2, "");
        }
    }
}
