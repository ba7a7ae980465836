package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tern info} against in-process servers. */
@Timeout(30)
class InfoCommandTest {

    @TempDir
    Path dir;

    @Test
    void describesTheDeviceAndItsRegions() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path engine = servers.dmaEngine("engine.sock", 0);
            final Cli.Run r = Cli.run("info", "--socket", engine.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("socket     " + engine)
                    .contains("device     PCI 7e27:0002")
                    .contains("migration  flags stop-copy,p2p,pre-copy; state RUNNING")
                    .containsPattern("\\n +0 +BAR0 +4 KiB \\(0x1000\\) +RW")
                    .containsPattern("\\n +7 +CONFIG ")
                    .contains("irqs ");
            assertThat(Cli.run("info", "--socket", servers.uart("uart.sock").toString()).out())
                    .contains("PCI 7e27:0001");
        }
    }

    @Test
    void nobodyListeningIsOneLine() {
        MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", dir.resolve("none.sock").toString()), 2,
                "none.sock");
    }
}
