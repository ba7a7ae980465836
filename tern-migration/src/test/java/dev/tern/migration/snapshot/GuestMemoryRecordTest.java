package dev.tern.migration.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceCatalog;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.protocol.MigrationState;
import dev.tern.samples.Uart;
import dev.tern.vmm.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MEMORY record of a snapshot file: saved after the devices, written back before any device leaves RESUMING. */
class GuestMemoryRecordTest {

    private static final long SIZE = 256 << 10;

    @TempDir
    Path dir;

    @Test
    void theImageIsTheLastRecordAndComesBackByteForByte() throws Exception {
        final Path file = dir.resolve("vm.tsnap");
        try (GuestMemory src = filled(1); MigrationEngine a = SnapshotTest.uart("with memory");
                GuestMemory dst = GuestMemory.create("dst", SIZE); MigrationEngine b = DeviceCatalog.open(Uart.KIND)) {
            final List<SnapshotRecord> saved = SnapshotSave.save(List.of(new SnapshotDevice("a", a)),
                    Optional.of(src.segment()), file, false);
            assertThat(saved.getLast()).extracting(SnapshotRecord::type, SnapshotRecord::kind, SnapshotRecord::length,
                    SnapshotRecord::version).containsExactly(SnapshotRecord.Type.MEMORY, "guest-memory", SIZE, 4096);
            try (SnapshotReader r = SnapshotReader.open(file)) {
                assertThat(r.memoryBytes()).hasValue(SIZE);
            }
            SnapshotRestore.restore(List.of(new SnapshotDevice("b", b)), Optional.of(dst.segment()), file, false);
            assertThat(dst.segment().mismatch(src.segment())).isEqualTo(-1);
            assertThat(b.checksum()).isEqualTo(a.checksum());
            assertThat(b.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void memoryMissingOrOfAnotherSizeIsRefusedBeforeAnyDeviceIsTouched() throws Exception {
        final Path withMemory = dir.resolve("m.tsnap");
        final Path without = dir.resolve("d.tsnap");
        try (GuestMemory src = filled(2); MigrationEngine a = SnapshotTest.uart("x");
                GuestMemory other = GuestMemory.create("other", SIZE * 2);
                MigrationEngine b = DeviceCatalog.open(Uart.KIND)) {
            SnapshotSave.save(List.of(new SnapshotDevice("a", a)), Optional.of(src.segment()), withMemory, false);
            SnapshotSave.save(List.of(new SnapshotDevice("a", a)), without, false);
            final List<SnapshotDevice> devices = List.of(new SnapshotDevice("b", b));
            final long before = b.checksum();
            assertThatThrownBy(() -> SnapshotRestore.restore(devices, withMemory, false))
                    .hasMessageContaining("holds 262144 bytes of guest memory; none given");
            assertThatThrownBy(() -> SnapshotRestore.restore(devices, Optional.of(other.segment()), withMemory,
                    false)).hasMessageContaining("holds 262144 bytes of guest memory; 524288 bytes given");
            assertThatThrownBy(() -> SnapshotRestore.restore(devices, Optional.of(other.segment()), without, false))
                    .hasMessageContaining("holds no guest memory; 524288 bytes given");
            assertThat(b.checksum()).isEqualTo(before);
            assertThat(b.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void anImageDamagedAfterTheCheckIsCaughtWhileEveryDeviceIsStillResuming() throws Exception {
        final Path file = dir.resolve("vm.tsnap");
        try (GuestMemory src = filled(3); MigrationEngine a = SnapshotTest.uart("late damage");
                GuestMemory dst = GuestMemory.create("dst", SIZE)) {
            SnapshotSave.save(List.of(new SnapshotDevice("a", a)), Optional.of(src.segment()), file, false);
            final long inImage = Files.size(file) - SIZE / 3;
            try (FileDamagingTarget b = new FileDamagingTarget(DeviceCatalog.open(Uart.KIND), file, inImage)) {
                final long fresh = b.checksum();
                assertThatThrownBy(() -> SnapshotRestore.restore(List.of(new SnapshotDevice("b", b)),
                        Optional.of(dst.segment()), file, false))
                        .isInstanceOf(SnapshotException.class)
                        .hasMessageContaining("the memory record of guest-memory is damaged");
                // RESUMING was entered and never ended: the failed load was aborted by a reset.
                assertThat(b.requested).containsExactly(MigrationState.RESUMING);
                assertThat(b.state()).isEqualTo(MigrationState.RUNNING);
                assertThat(b.checksum()).isEqualTo(fresh);
            }
        }
    }

    private static GuestMemory filled(final long seed) throws Exception {
        final GuestMemory m = GuestMemory.create("src", SIZE);
        final byte[] bytes = new byte[(int) SIZE];
        new Random(seed).nextBytes(bytes);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, m.segment(), 0, SIZE);
        return m;
    }
}
