package dev.tern.cli;

import static dev.tern.cli.MigrateCommandTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vmm.GuestMemory;
import dev.tern.migration.snapshot.SnapshotDevice;
import dev.tern.migration.snapshot.SnapshotRecord;
import dev.tern.migration.snapshot.SnapshotRestore;
import dev.tern.migration.snapshot.SnapshotSave;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots with guest memory between real vfio-user servers: what a dma-engine DMA'd into guest memory survives a
 * save and a restore into a fresh server, and the restored engine DMAs on from it; a damaged memory record is refused
 * before any device leaves RESUMING.
 */
@Timeout(60)
class GuestMemorySnapshotTest {

    private static final long MEMORY = 1L << 20;
    private static final long CTRL = 0x08;
    private static final long RING_BASE = 0x10;
    private static final long RING_SIZE = 0x18;
    private static final long RING_TAIL = 0x28;
    private static final long COMPLETED = 0x30;
    private static final int OP_COPY = 1;
    private static final long FROM = 0x10000;
    private static final long COPY = 0x20000;
    private static final long AGAIN = 0x30000;
    private static final int LENGTH = 0x3000;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void bytesTheEngineDmaedSurviveSaveAndRestoreIntoAFreshServer() throws Exception {
        final Path file = dir.resolve("vm.tsnap");
        try (TestServers servers = new TestServers(dir)) {
            final Path src = servers.dmaEngine("src.sock", 0);
            final Path dst = servers.dmaEngine("dst.sock", 0);
            final byte[] pattern = new byte[LENGTH];
            new java.util.Random(13).nextBytes(pattern);
            try (GuestMemory mem = GuestMemory.create("test-src", MEMORY);
                    VfioUserMigrationTarget t = ready(src, mem)) {
                MemorySegment.copy(MemorySegment.ofArray(pattern), 0, mem.segment(), FROM, LENGTH);
                copy(t, mem, 0, FROM, COPY);
                assertThat(mem.segment().asSlice(COPY, LENGTH).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(pattern);
                MemorySegment.copy(MemorySegment.ofArray(new byte[LENGTH]), 0, mem.segment(), FROM, LENGTH);
                final List<SnapshotRecord> saved = SnapshotSave.save(List.of(new SnapshotDevice("src", t)),
                        Optional.of(mem.segment()), file, true);
                assertThat(saved).extracting(SnapshotRecord::type)
                        .containsExactly(SnapshotRecord.Type.DEVICE, SnapshotRecord.Type.MEMORY);
            }
            try (GuestMemory mem = GuestMemory.create("test-dst", MEMORY);
                    VfioUserMigrationTarget t = mapped(dst, mem)) {
                t.reset();
                SnapshotRestore.restore(List.of(new SnapshotDevice("dst", t)), Optional.of(mem.segment()), file,
                        false);
                assertThat(t.state()).isEqualTo(MigrationState.RUNNING);
                // Only the device's copy holds the pattern (the guest's source was zeroed before saving).
                assertThat(mem.segment().asSlice(COPY, LENGTH).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(pattern);
                assertThat(mem.segment().asSlice(FROM, LENGTH).toArray(ValueLayout.JAVA_BYTE))
                        .isEqualTo(new byte[LENGTH]);
                // The restored engine (ring registers restored, head 1) goes on DMAing from the restored memory.
                copy(t, mem, 1, COPY, AGAIN);
                assertThat(mem.segment().asSlice(AGAIN, LENGTH).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(pattern);
            }
        }
    }

    @Test
    void theCliSavesAndRestoresGuestMemoryAndRefusesADamagedImage() throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path src = servers.dmaEngine("src.sock", 0);
            final Path file = dir.resolve("vm.tsnap");
            final Cli.Run save = Cli.run("save", "--socket", src.toString(), "--guest-memory", "1MiB", "--to",
                    file.toString());
            assertThat(save.code()).as(save.err()).isZero();
            assertThat(save.out()).contains("saved src.sock (pci ", "saved guest memory: 1048576 bytes, sha256 ",
                    "1 device(s) + guest memory", "devices now: src.sock RUNNING");
            final Path dst = servers.dmaEngine("dst.sock", 0);
            final Cli.Run restore = Cli.run("restore", "--socket", dst.toString(), "--from", file.toString());
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(restore.out()).contains("restored src.sock into dst.sock",
                    "restored guest memory: 1048576 bytes, digest verified", "devices now: dst.sock RUNNING");
            assertOneLineError(Cli.run("restore", "--socket", dst.toString(), "--from", file.toString(),
                    "--guest-memory", "2MiB"), 2, "holds 1048576 bytes of guest memory; 2097152 bytes given");

            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                final long at = ch.size() - MEMORY / 2;
                final ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, at);
                ch.write(b.put(0, (byte) (b.get(0) ^ 0x10)).rewind(), at);
            }
            final Path fresh = servers.dmaEngine("fresh.sock", 0);
            final Cli.Run damaged = Cli.run("restore", "--socket", fresh.toString(), "--from", file.toString());
            assertOneLineError(damaged, 2, "the memory record of guest-memory is damaged (SHA-256");
            assertThat(damaged.err()).contains("[devices now: fresh.sock RUNNING]");
            try (VfioUserMigrationTarget f = TestServers.open(fresh)) {
                assertThat(f.state()).isEqualTo(MigrationState.RUNNING);
            }
        }
    }

    /** A client of the engine at {@code socket} with {@code mem} mapped at IOVA 0. */
    private static VfioUserMigrationTarget mapped(final Path socket, final GuestMemory mem) throws Exception {
        final VfioUserMigrationTarget t = TestServers.open(socket);
        t.client().mapDma(0, mem.shared(), true);
        return t;
    }

    /** {@link #mapped}, with bus mastering on and a 16-entry descriptor ring at IOVA 0. */
    private static VfioUserMigrationTarget ready(final Path socket, final GuestMemory mem) throws Exception {
        final VfioUserMigrationTarget t = mapped(socket, mem);
        t.client().writeRegion(7, 4, new byte[] {6, 0});           // PCI command: memory space, bus master
        reg(t, RING_BASE, 0);
        reg(t, RING_SIZE, 16);
        reg(t, CTRL, 1);                                           // RING_ENABLE
        return t;
    }

    /** Posts descriptor {@code index} (a guest-to-guest copy) and waits, bounded, until the engine completed it. */
    private static void copy(final VfioUserMigrationTarget t, final GuestMemory mem, final int index, final long from,
            final long to) throws Exception {
        final MemorySegment slot = mem.segment().asSlice(index * 32L, 32);
        slot.set(INT, 0, OP_COPY);
        slot.set(INT, 4, 0);
        slot.set(LONG, 8, from);
        slot.set(LONG, 16, to);
        slot.set(LONG, 24, LENGTH);
        reg(t, RING_TAIL, index + 1);
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (ByteBuffer.wrap(t.client().readRegion(0, COMPLETED, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong()
                < index + 1) {
            assertThat(System.nanoTime()).as("the engine never completed descriptor " + index).isLessThan(deadline);
            Thread.sleep(1);
        }
        assertThat(slot.get(INT, 4)).as("descriptor status").isEqualTo(1);
    }

    private static void reg(final VfioUserMigrationTarget t, final long offset, final long value) throws Exception {
        t.client().writeRegion(0, offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value)
                .array());
    }
}
