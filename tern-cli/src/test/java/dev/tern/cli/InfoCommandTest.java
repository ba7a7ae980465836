package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import static dev.tern.vfiouser.testing.ScriptedServer.error;
import static dev.tern.vfiouser.testing.ScriptedServer.le;
import static dev.tern.vfiouser.testing.ScriptedServer.message;
import static dev.tern.vfiouser.testing.ScriptedServer.reply;

import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.testing.LibvfioUserRelay;
import dev.tern.vfiouser.testing.ScriptedServer;
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
                    .contains("irqs ")
                    .contains("server     max_msg_fds 8; max_data_xfer_size 1 MiB; pgsizes 0x1000 (spec default, not"
                            + " advertised); max_dma_maps 65535 (spec default, not advertised)")
                    .contains("tern       extension accepted: p2p, precopy_info");
            assertThat(Cli.run("info", "--socket", servers.uart("uart.sock").toString()).out())
                    .contains("PCI 7e27:0001");
        }
    }

    @Test
    void nobodyListeningIsOneLine() {
        MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", dir.resolve("none.sock").toString()), 2,
                "none.sock");
    }

    @Test
    void aLibvfioUserLikeServerIsShownAsItAdvertises() throws Exception {
        try (TestServers servers = new TestServers(dir);
                LibvfioUserRelay relay = LibvfioUserRelay.start(dir.resolve("lib.sock"),
                        servers.dmaEngine("tern.sock", 0))) {
            final Cli.Run r = Cli.run("info", "--socket", relay.path().toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("max_msg_fds 8; max_data_xfer_size 1 MiB; pgsizes 0x1000 (spec default, not"
                    + " advertised)").contains("migration.pgsize 4096 (libvfio-user, not in the spec)")
                    .contains("tern       not offered").contains("migration  flags stop-copy,pre-copy; state RUNNING");
        }
    }

    /** A server busy with another client never answers VERSION: one line after --timeout, not a hang. */
    @Test
    void aBusyServerIsOneLineAfterTheTimeout() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path uart = servers.uart("busy.sock");
            try (VfioUserClient first = VfioUserClient.connect(uart, ClientOptions.defaults())) {
                final long start = System.nanoTime();
                MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", uart.toString(), "--timeout", "1"),
                        2, "VERSION: no reply within 1 s");
                assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);
            }
        }
    }

    @Test
    void absurdCountsAreOneLine() throws Exception {
        for (final int regions : new int[] {0x7fffffff, 0xffffffff}) {
            try (ScriptedServer s = ScriptedServer.start(dir.resolve("absurd.sock"), c -> {
                c.answerVersion("{}");
                c.send(reply(c.receive().header().msgId(), 4, le(16, 3, regions, 5)));
                c.awaitClose();
            })) {
                MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", s.path().toString(), "--timeout",
                        "5"), 2, "at most 256");
            }
        }
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("areas.sock"), c -> {
            c.answerVersion("{}");
            c.send(reply(c.receive().header().msgId(), 4, le(16, 0, 1, 0)));
            c.send(error(c.receive().header().msgId(), 16, 22, new byte[0]));
            // REGION_INFO: flags CAPS, cap_offset 32, one sparse-mmap capability claiming 2^32-1 areas
            c.send(reply(c.receive().header().msgId(), 5, le(48, 8, 0, 32, 4096, 0, 0, 0, 0x10001, 0, -1, 0)));
            c.awaitClose();
        })) {
            MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", s.path().toString()), 2,
                    "nr_areas 4294967295 does not fit");
        }
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("huge.sock"), c -> {
            c.answerVersion("{}");
            c.send(message(c.receive().header().msgId(), 4, 0xffff_ffffL, Header.TYPE_REPLY, 0, new byte[0]));
            c.awaitClose();
        })) {
            MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", s.path().toString()), 2,
                    "msg_size 4294967295 exceeds");
        }
    }

    @Test
    void aBadTimeoutIsOneLine() {
        MigrateCommandTest.assertOneLineError(Cli.run("info", "--socket", "x.sock", "--timeout", "0"), 2,
                "--timeout");
    }
}
