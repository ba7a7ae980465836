package dev.tern.guide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The guide's device in-process: a job by DMA with its interrupt, STOP quiescing it, migrations between engines. */
class CrcDeviceTest {
    private static final long IOVA = 0x10000;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void computesACrcByDmaAndRaisesItsInterrupt() throws Exception {
        // tag::in-process[]
        final CrcDevice device = new CrcDevice();
        try (MigrationEngine engine = MigrationEngine.of(device); Arena arena = Arena.ofShared()) {
            final MemorySegment guest = arena.allocate(1 << 16, 4096);   // the guest's RAM
            device.dma().mapMemory(IOVA, guest, true, false);            // what DMA_MAP does
            final AtomicInteger interrupts = new AtomicInteger();
            device.irqs().getFirst().setTrigger(0, interrupts::incrementAndGet);   // an eventfd, in a VMM

            final Region config = device.regions().get(RegionInfo.PCI_CONFIG);
            config.write(PciConfigSpace.COMMAND, le16(PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER));
            final byte[] text = "hello, device".getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(text, 0, guest, ValueLayout.JAVA_BYTE, 0, text.length);
            final Region bar0 = device.regions().get(RegionInfo.PCI_BAR0);
            bar0.write(CrcDevice.SRC_LO, le32((int) IOVA));
            bar0.write(CrcDevice.LEN, le32(text.length));
            bar0.write(CrcDevice.DST_LO, le32((int) IOVA + 0x8000));
            bar0.write(CrcDevice.DOORBELL, le32(1));

            awaitJobs(bar0, 1);
            assertThat(guest.get(LE_INT, 0x8000)).isEqualTo(crc32c(text));
            assertThat(interrupts.get()).isEqualTo(1);
        }
        // end::in-process[]
    }

    @Test
    void aRefusedDmaIsAnErrorStatusNotACrash() throws Exception {
        final CrcDevice device = new CrcDevice();
        try (MigrationEngine engine = MigrationEngine.of(device)) {
            final Region bar0 = device.regions().get(RegionInfo.PCI_BAR0);
            device.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                    le16(PciConfigSpace.COMMAND_MEMORY));   // no Bus Master Enable and nothing mapped
            bar0.write(CrcDevice.LEN, le32(16));
            bar0.write(CrcDevice.DOORBELL, le32(1));
            awaitJobs(bar0, 1);
            assertThat(read(bar0, CrcDevice.DOORBELL)).isEqualTo(CrcDevice.STATUS_ERROR);
            assertThatThrownBy(() -> bar0.write(CrcDevice.RESULT, le32(1))).isInstanceOf(DeviceException.class)
                    .extracting(e -> ((DeviceException) e).errno()).isEqualTo(Errno.EINVAL);
        }
    }

    @Test
    void migratesWithASecondJobInFlightOrQueued() throws Exception {
        final CrcDevice source = new CrcDevice();
        final CrcDevice destination = new CrcDevice();
        try (MigrationEngine src = MigrationEngine.of(source); MigrationEngine dst = MigrationEngine.of(destination);
                Arena arena = Arena.ofShared()) {
            final MemorySegment guest = arena.allocate(1 << 16, 4096);   // guest memory moves on its own path
            source.dma().mapMemory(IOVA, guest, true, false);
            destination.dma().mapMemory(IOVA, guest, true, false);
            source.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                    le16(PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER));
            final Region bar0 = source.regions().get(RegionInfo.PCI_BAR0);
            bar0.write(CrcDevice.SRC_LO, le32((int) IOVA));
            bar0.write(CrcDevice.LEN, le32(4096));
            bar0.write(CrcDevice.DST_LO, le32((int) IOVA + 0x8000));
            bar0.write(CrcDevice.DOORBELL, le32(1));
            awaitJobs(bar0, 1);
            bar0.write(CrcDevice.DOORBELL, le32(1));   // served before STOP, or migrated as a rung doorbell

            final byte[] state = migrate(src, dst);
            assertThat(state.length).as("engine header + state").isGreaterThan(CrcDevice.STATE_SIZE);
            assertThat(dst.checksum()).isEqualTo(src.checksum());
            dst.setState(MigrationState.RUNNING);
            final Region moved = destination.regions().get(RegionInfo.PCI_BAR0);
            awaitJobs(moved, 2);
            assertThat(read(moved, CrcDevice.DOORBELL)).isZero();
            assertThat(guest.get(LE_INT, 0x8000)).isEqualTo(crc32c(new byte[4096]));
        }
    }

    @Test
    void aForeignOrBrokenStateIsRefusedAndChangesNothing() throws Exception {
        try (MigrationEngine src = MigrationEngine.of(new CrcDevice());
                MigrationEngine dst = MigrationEngine.of(new CrcDevice())) {
            final byte[] good = migrate(src, dst);
            // another PCI vendor id, LEN above MAX_LEN, a status bit that does not exist, a truncated state
            for (final byte[] bad : new byte[][] {flip(good, good.length - CrcDevice.STATE_SIZE),
                    flip(good, good.length - CrcDevice.BAR0_SIZE + CrcDevice.LEN + 3),
                    flip(good, good.length - CrcDevice.BAR0_SIZE + CrcDevice.DOORBELL),
                    Arrays.copyOf(good, good.length - 1)}) {
                dst.reset();
                final long before = dst.checksum();
                dst.setState(MigrationState.RESUMING).stream().orElseThrow().write(ByteBuffer.wrap(bad));
                assertThatThrownBy(() -> dst.setState(MigrationState.STOP)).isInstanceOf(DeviceException.class)
                        .extracting(e -> ((DeviceException) e).errno()).isEqualTo(Errno.EINVAL);
                dst.reset();
                assertThat(dst.checksum()).isEqualTo(before);
            }
        }
    }

    @Test
    void stopWaitsForTheRunningJob() throws Exception {
        final CrcDevice device = new CrcDevice();
        try (MigrationEngine engine = MigrationEngine.of(device); Arena arena = Arena.ofShared()) {
            final MemorySegment guest = arena.allocate(CrcDevice.MAX_LEN + 4096L, 4096);
            device.dma().mapMemory(IOVA, guest, true, false);
            device.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                    le16(PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER));
            final Region bar0 = device.regions().get(RegionInfo.PCI_BAR0);
            bar0.write(CrcDevice.SRC_LO, le32((int) IOVA));
            bar0.write(CrcDevice.LEN, le32(CrcDevice.MAX_LEN));
            bar0.write(CrcDevice.DST_LO, le32((int) IOVA + CrcDevice.MAX_LEN));
            for (int job = 1; job <= 20; job++) {
                bar0.write(CrcDevice.DOORBELL, le32(1));
                engine.setState(MigrationState.STOP);
                final long frozen = engine.checksum();
                Thread.sleep(2);
                assertThat(engine.checksum()).as("no job changes the registers once STOP is reached").isEqualTo(frozen);
                engine.setState(MigrationState.RUNNING);
                awaitJobs(bar0, job);
            }
            assertThat(guest.get(LE_INT, CrcDevice.MAX_LEN)).isEqualTo(crc32c(new byte[CrcDevice.MAX_LEN]));
        }
    }

    // tag::migrate[]
    /** What a VMM does with two devices: save the source, load the destination; both end in STOP. */
    static byte[] migrate(final MigrationEngine src, final MigrationEngine dst) throws DeviceException {
        final MigrationStream out = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final ByteArrayOutputStream state = new ByteArrayOutputStream();
        final ByteBuffer chunk = ByteBuffer.allocate(4096);
        for (int n = out.read(chunk); n != -1; n = out.read(chunk.clear())) {
            state.write(chunk.array(), 0, n);
        }
        final MigrationStream in = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
        in.write(ByteBuffer.wrap(state.toByteArray()));
        dst.setState(MigrationState.STOP);   // validates and installs the state, or fails with nothing applied
        src.setState(MigrationState.STOP);
        return state.toByteArray();
    }
    // end::migrate[]

    private static byte[] flip(final byte[] bytes, final int at) {
        final byte[] copy = bytes.clone();
        copy[at] ^= 0x40;
        return copy;
    }

    static void awaitJobs(final Region bar0, final int jobs) throws Exception {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (read(bar0, CrcDevice.JOBS) < jobs) {
            assertThat(System.nanoTime() - deadline).as("job " + jobs + " done within 10 s").isNegative();
            Thread.sleep(1);
        }
    }

    static int read(final Region region, final int offset) throws DeviceException {
        final ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        region.read(offset, b);
        return b.getInt(0);
    }

    static ByteBuffer le32(final int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
    }

    static ByteBuffer le16(final int value) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) value);
    }

    static int crc32c(final byte[] bytes) {
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }
}
