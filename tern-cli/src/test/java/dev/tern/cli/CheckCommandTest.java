package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.testing.LibvfioUserRelay;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tern check}: the conformance kit's output contract, in-process and over vfio-user sockets. */
@Timeout(120)
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

    /** One socket cannot hold a source and a destination: the round trips skip, nothing fails (before: EBUSY). */
    @Test
    void oneServerSkipsTheRoundTrips() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Cli.Run r = Cli.run("check", "--socket", servers.uart("only.sock").toString());
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.out().lines().toList().getLast()).matches("[1-9][0-9]* passed, 0 failed, [1-9][0-9]* skipped");
            assertThat(r.out()).contains("SKIP round trip via STOP_COPY: needs a source and a destination");
        }
    }

    /**
     * vfio-user-interop.md §1: against a server that behaves as libvfio-user does (no Tern extension, error echoes,
     * reset refused in STOP/STOP_COPY, padded reads), the kit completes with skips and leaves every device RUNNING
     * (before: one check ran, then the device stayed in STOP_COPY).
     */
    @Test
    void aLibvfioUserLikeServerCompletesWithSkipsAndStaysUsable() throws Exception {
        try (TestServers servers = new TestServers(dir);
                LibvfioUserRelay a = LibvfioUserRelay.start(dir.resolve("a.sock"), servers.dmaEngine("ta.sock", 0));
                LibvfioUserRelay b = LibvfioUserRelay.start(dir.resolve("b.sock"), servers.dmaEngine("tb.sock", 0));
                LibvfioUserRelay c = LibvfioUserRelay.start(dir.resolve("c.sock"), servers.dmaEngine("tc.sock", 0))) {
            final Cli.Run r = Cli.run("check", "--socket", a.path().toString(), b.path().toString(),
                    c.path().toString());
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.out().lines().toList().getLast()).matches("[1-9][0-9]+ passed, 0 failed, [1-9][0-9]* skipped");
            assertThat(r.out()).contains("SKIP failing arcs").contains("SKIP PRECOPY_INFO")
                    .contains("PASS round trip via PRE_COPY").contains("re-saved streams equal");
            for (final LibvfioUserRelay relay : List.of(a, b, c)) {
                assertThat(Cli.run("info", "--socket", relay.path().toString()).out()).contains("state RUNNING");
            }
        }
    }

    @Test
    void plainPassesWithTheRightSkips() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Cli.Run r = Cli.run("check", "--plain-vfio-user", "--socket", servers.uart("p1.sock").toString(),
                    servers.uart("p2.sock").toString());
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.out()).contains("SKIP failing arcs").contains("SKIP PRECOPY_INFO")
                    .contains("PASS round trip via STOP_COPY").contains("PASS DMA logging");
            for (final String sock : List.of("p1.sock", "p2.sock")) {
                assertThat(Cli.run("info", "--socket", dir.resolve(sock).toString()).out()).contains("state RUNNING");
            }
        }
    }

    @Test
    void anInProcessSampleStillWorks() {
        final Cli.Run r = Cli.run("check", "--device", "uart");
        assertThat(r.code()).as(r.out()).isZero();
        // the uart has no PRE_COPY: the pre-copy data-fd rule is skipped
        assertThat(r.out().lines().toList().getLast()).matches("[1-9][0-9]+ passed, 0 failed, 1 skipped");
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
