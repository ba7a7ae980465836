package dev.tern.migration.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceCatalog;
import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.protocol.MigrationState;
import dev.tern.samples.Uart;
import dev.tern.sys.Errno;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save and restore through real files and in-process devices: state carried, damage and wrong kinds refused. */
class SnapshotTest {

    @TempDir
    Path dir;

    @Test
    void twoDevicesSavedAndRestoredCarryTheirStateAndRunAgain() throws Exception {
        final Path file = dir.resolve("pair.tsnap");
        try (MigrationEngine a = uart("first"); MigrationEngine b = uart("second, longer");
                MigrationEngine c = DeviceCatalog.open(Uart.KIND); MigrationEngine d = DeviceCatalog.open(Uart.KIND)) {
            final long sumA = a.checksum();
            final long sumB = b.checksum();
            assertThat(c.checksum()).isNotEqualTo(sumA);
            final List<SnapshotRecord> saved = SnapshotSave.save(List.of(new SnapshotDevice("a", a),
                    new SnapshotDevice("b", b)), file, false);
            assertThat(a.state()).isEqualTo(MigrationState.RUNNING);
            assertThat(saved).extracting(SnapshotRecord::kind).containsExactly("uart", "uart");
            assertThat(Files.exists(dir.resolve("pair.tsnap.part"))).isFalse();
            try (SnapshotReader r = SnapshotReader.open(file)) {
                assertThat(r.entries()).extracting(e -> e.record().name()).containsExactly("a", "b");
                assertThat(r.entries().getFirst().record().length()).isEqualTo(saved.getFirst().length());
            }
            SnapshotRestore.restore(List.of(new SnapshotDevice("c", c), new SnapshotDevice("d", d)), file, true);
            assertThat(c.state()).isEqualTo(MigrationState.STOP);
            assertThat(c.checksum()).isEqualTo(sumA);
            assertThat(d.checksum()).isEqualTo(sumB);
        }
    }

    @Test
    void aDamagedPayloadIsRefusedBeforeTheDeviceIsTouched() throws Exception {
        final Path file = saveOne("u", uart("payload"));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            final long last = ch.size() - 1;
            final ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, last);
            ch.write(b.put(0, (byte) (b.get(0) ^ 1)).rewind(), last);
        }
        try (MigrationEngine fresh = DeviceCatalog.open(Uart.KIND)) {
            final long before = fresh.checksum();
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("fresh", fresh)), file,
                    false)).isInstanceOf(SnapshotException.class).hasMessageContaining("is damaged (SHA-256");
            assertThat(fresh.state()).isEqualTo(MigrationState.RUNNING);
            assertThat(fresh.checksum()).isEqualTo(before);
        }
    }

    @Test
    void aDamagedFlagInTheRecordHeaderIsCaughtByTheDigest() throws Exception {
        final Path file = saveOne("u", uart("flags"));
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(SnapshotHeader.SIZE + 20 + 3);
            f.write(f.readByte() ^ 2);
        }
        try (MigrationEngine fresh = DeviceCatalog.open(Uart.KIND)) {
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("fresh", fresh)), file,
                    false)).hasMessageContaining("damaged");
        }
    }

    @Test
    void aFileOfAnotherDeviceKindIsRefused() throws Exception {
        final Path file = saveOne("dma", DeviceCatalog.open("dma-engine"));
        try (MigrationEngine u = DeviceCatalog.open(Uart.KIND)) {
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("u0", u)), file, false))
                    .isInstanceOf(SnapshotException.class)
                    .hasMessageContaining("made by a device of kind dma-engine")
                    .hasMessageContaining("u0 is uart");
            assertThat(u.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void truncatedFilesForeignFilesAndCountMismatchesAreRefused() throws Exception {
        final Path file = saveOne("u", uart("trunc"));
        final byte[] all = Files.readAllBytes(file);
        final Path cut = Files.write(dir.resolve("cut"), java.util.Arrays.copyOf(all, all.length - 5));
        final Path foreign = Files.writeString(dir.resolve("foreign"), "TERNMIG1 and more bytes than a header");
        try (MigrationEngine u = DeviceCatalog.open(Uart.KIND); MigrationEngine v = DeviceCatalog.open(Uart.KIND)) {
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("u", u)), cut, false))
                    .hasMessageContaining("truncated");
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("u", u)), foreign, false))
                    .hasMessageContaining("not a Tern snapshot (magic 'TERNMIG1'");
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("u", u),
                    new SnapshotDevice("v", v)), file, false)).hasMessageContaining("holds 1 device(s), 2 given");
        }
    }

    @Test
    void aStateTheDeviceRefusesLeavesItResetNotInResuming() throws Exception {
        final byte[] garbage = "not a uart state".getBytes(StandardCharsets.US_ASCII);
        final Path file = dir.resolve("garbage");
        try (MigrationEngine kindSource = DeviceCatalog.open(Uart.KIND)) {
            SnapshotFiles.writeDevice(file, kindSource, "forged", garbage);
        }
        try (MigrationEngine u = DeviceCatalog.open(Uart.KIND)) {
            assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("u", u)), file, false))
                    .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.getMessage())
                            .contains("u refused the saved state"));
            assertThat(u.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void aDeviceNotRunningIsNotSavedAndNoFileIsLeft() throws Exception {
        try (MigrationEngine u = DeviceCatalog.open(Uart.KIND)) {
            u.setState(MigrationState.RESUMING);
            final Path file = dir.resolve("never");
            assertThatThrownBy(() -> SnapshotSave.save(List.of(new SnapshotDevice("u", u)), file, false))
                    .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY))
                    .hasMessageContaining("u is in RESUMING");
            assertThat(Files.list(dir)).isEmpty();
        }
    }

    private Path saveOne(final String name, final MigrationEngine device) throws Exception {
        final Path file = dir.resolve(name + ".tsnap");
        try (device) {
            SnapshotSave.save(List.of(new SnapshotDevice(name, device)), file, false);
        }
        return file;
    }

    static MigrationEngine uart(final String received) throws DeviceException {
        final Uart u = new Uart();
        u.injectRx(received.getBytes(StandardCharsets.US_ASCII));
        return MigrationEngine.of(u);
    }
}
