package dev.tern.cli;

import static dev.tern.cli.MigrateCommandTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tern save} / {@code tern restore} between real vfio-user servers over their sockets. */
@Timeout(60)
class SaveRestoreCommandTest {

    @TempDir
    Path dir;

    @Test
    void aBusyDeviceSavedAndRestoredElsewhereCarriesItsState() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path src = servers.dmaEngine("src.sock", 4 << 20);
            final Path dst = servers.dmaEngine("dst.sock", 0);
            final Path file = dir.resolve("engine.tsnap");
            final Cli.Run save = Cli.run("save", "--socket", src.toString(), "--to", file.toString(), "--stop");
            assertThat(save.code()).as(save.err()).isZero();
            assertThat(save.out()).contains("saved src.sock (pci ", "sha256 ", "devices now: src.sock STOP");
            final Cli.Run restore = Cli.run("restore", "--socket", dst.toString(), "--from", file.toString(),
                    "--stop");
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(restore.out()).contains("restored src.sock into dst.sock", "digest verified");
            try (VfioUserMigrationTarget s = TestServers.open(src); VfioUserMigrationTarget d = TestServers.open(dst)) {
                assertThat(s.state()).isEqualTo(MigrationState.STOP);
                assertThat(d.state()).isEqualTo(MigrationState.STOP);
                assertThat(d.checksum()).isEqualTo(s.checksum());
            }
        }
    }

    @Test
    void aSavedDeviceRunsAgainByDefault() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path src = servers.uart("u.sock");
            final Cli.Run save = Cli.run("save", "--socket", src.toString(), "--to", dir.resolve("u").toString());
            assertThat(save.code()).as(save.err()).isZero();
            try (VfioUserMigrationTarget s = TestServers.open(src)) {
                assertThat(s.state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }

    @Test
    void aFileOfAnotherKindOrDamagedIsRefusedAndTheDeviceKeepsRunning() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path uart = servers.uart("u.sock");
            final Path engine = servers.dmaEngine("e.sock", 0);
            final Path file = dir.resolve("uart.tsnap");
            assertThat(Cli.run("save", "--socket", uart.toString(), "--to", file.toString()).code()).isZero();
            assertOneLineError(Cli.run("restore", "--socket", engine.toString(), "--from", file.toString()), 2,
                    "was made by a device of kind pci 7e27:0001");
            assertThat(Cli.run("restore", "--socket", engine.toString(), "--from", file.toString()).err())
                    .contains("[devices now: e.sock RUNNING]");
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(f.length() - 1);
                final int last = f.read();
                f.seek(f.length() - 1);
                f.write(last ^ 0x40);
            }
            final Path other = servers.uart("u2.sock");
            assertOneLineError(Cli.run("restore", "--socket", other.toString(), "--from", file.toString()), 2,
                    "is damaged (SHA-256");
            try (VfioUserMigrationTarget e = TestServers.open(engine);
                    VfioUserMigrationTarget o = TestServers.open(other)) {
                assertThat(e.state()).isEqualTo(MigrationState.RUNNING);
                assertThat(o.state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }

    @Test
    void badArgumentsAreOneLine() throws Exception {
        assertOneLineError(Cli.run("save", "--socket", "x.sock", "--to", dir.resolve("no/such/f").toString()), 2,
                "no such directory");
        assertOneLineError(Cli.run("restore", "--socket", "x.sock", "--from", dir.resolve("none").toString()), 2,
                "no such file");
        assertOneLineError(Cli.run("save", "--socket", dir.resolve("x.sock").toString(), "--to",
                dir.resolve("f").toString()), 2, "x.sock");
        assertThat(Files.exists(dir.resolve("f"))).isFalse();
    }
}
