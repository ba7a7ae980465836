package dev.tern.samples;

import static dev.tern.samples.DmaEngineRegisters.COMPLETED;
import static dev.tern.samples.DmaEngineRegisters.CTRL;
import static dev.tern.samples.DmaEngineRegisters.ERRORS;
import static dev.tern.samples.DmaEngineRegisters.MUTATED;
import static dev.tern.samples.DmaEngineRegisters.RATE;
import static dev.tern.samples.DmaEngineRegisters.RING_BASE;
import static dev.tern.samples.DmaEngineRegisters.RING_HEAD;
import static dev.tern.samples.DmaEngineRegisters.RING_SIZE;
import static dev.tern.samples.DmaEngineRegisters.RING_TAIL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.sys.PosixException;
import dev.tern.sys.SharedMemory;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DmaEngineTest {

    static final long GUEST = 0x100000;
    static final long MEM = 8L << 20;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final SharedMemory guest;

    DmaEngineTest() throws Exception {
        guest = SharedMemory.create("guest", 1 << 20);
        closeables.add(guest);
    }

    @AfterEach
    void close() throws Exception {
        for (final AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    /** A device and its engine. */
    record Rig(DmaEngine device, MigrationEngine engine) {
    }

    private Rig rig(final long rate) throws Exception {
        final DmaEngine d = new DmaEngine(new DmaEngineConfig(MEM, rate, 42));
        d.dma().mapMemory(GUEST, guest.segment(), true, false);
        command(d, PciConfigSpace.COMMAND_MEMORY);
        final MigrationEngine e = MigrationEngine.of(d);
        closeables.add(e);
        return new Rig(d, e);
    }

    static long reg(final DmaEngine d, final int off) throws DeviceException {
        final ByteBuffer b = ByteBuffer.allocate(8);
        d.regions().get(0).read(off, b);
        return b.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** Writes the PCI command register, as the guest's PCI core does. */
    static void command(final DmaEngine d, final int bits) throws DeviceException {
        d.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) bits));
    }

    static int config16(final DmaEngine d, final int off) throws DeviceException {
        final ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        d.regions().get(RegionInfo.PCI_CONFIG).read(off, b);
        return b.getShort(0) & 0xFFFF;
    }

    static void reg(final DmaEngine d, final int off, final long v) throws DeviceException {
        d.regions().get(0).write(off, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v));
    }

    /** Guest driver: pci_set_master, then a 16-entry ring at GUEST. */
    private static void setUpRing(final DmaEngine d) throws DeviceException {
        command(d, PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER);
        reg(d, RING_BASE, GUEST);
        reg(d, RING_SIZE, 16);
        reg(d, CTRL, DmaEngineRegisters.CTRL_RING | DmaEngineRegisters.CTRL_IRQ);
    }

    private void post(final DmaEngine d, final int op, final long src, final long dst, final long len)
            throws DeviceException {
        final long tail = reg(d, RING_TAIL);
        final MemorySegment slot = guest.segment().asSlice((tail & 15) * 32, 32);
        slot.set(INT, 0, op);
        slot.set(INT, 4, 0);
        slot.set(LONG, 8, src);
        slot.set(LONG, 16, dst);
        slot.set(LONG, 24, len);
        reg(d, RING_TAIL, tail + 1);
    }

    private int status(final long index) {
        return guest.segment().get(INT, (index & 15) * 32 + 4);
    }

    static void await(final LongSupplier value, final long atLeast) throws InterruptedException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (value.getAsLong() < atLeast) {
            assertThat(System.nanoTime()).as("timed out waiting").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private static long regQuiet(final DmaEngine d, final int off) {
        try {
            return reg(d, off);
        } catch (final DeviceException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] drain(final MigrationStream s, final boolean untilEnd) throws DeviceException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        while (true) {
            final int n = s.read(buf.clear());
            if (n <= 0) {
                assertThat(n).isEqualTo(untilEnd ? -1 : 0);
                return out.toByteArray();
            }
            out.write(buf.array(), 0, n);
        }
    }

    private static void load(final MigrationEngine dst, final byte[] bytes) throws DeviceException {
        final MigrationStream in = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
        for (int off = 0; off < bytes.length; off += 100_000) {
            in.write(ByteBuffer.wrap(bytes, off, Math.min(100_000, bytes.length - off)));
        }
        dst.setState(MigrationState.STOP);
    }

    @Test
    void descriptorsMoveDataThroughGuestMemoryAndRaiseCompletionInterrupts() throws Exception {
        final Rig r = rig(0);
        final DmaEngine d = r.device();
        try (EventFd efd = EventFd.create()) {
            d.irqs().get(IrqType.MSI.index()).setTrigger(0, () -> {
                try {
                    efd.signal();
                } catch (final PosixException e) {
                    throw new DeviceException(e.errno(), e.getMessage());
                }
            });
            final MemorySegment g = guest.segment();
            for (int i = 0; i < 8192; i++) {
                g.set(ValueLayout.JAVA_BYTE, 0x10000 + i, (byte) (i * 13));
            }
            setUpRing(d);
            post(d, DmaEngineWorkload.OP_GUEST_TO_DEV, GUEST + 0x10000, 0x2000, 8192);
            post(d, DmaEngineWorkload.OP_DEV_TO_GUEST, 0x2000, GUEST + 0x20000, 8192);
            post(d, DmaEngineWorkload.OP_COPY, GUEST + 0x20000, GUEST + 0x30000, 8192);
            await(() -> regQuiet(d, COMPLETED), 3);
            assertThat(g.asSlice(0x30000, 8192).mismatch(g.asSlice(0x10000, 8192))).isEqualTo(-1);
            assertThat(List.of(status(0), status(1), status(2))).containsOnly(DmaEngineWorkload.STATUS_OK);
            assertThat(efd.consume(Duration.ofSeconds(1))).isPositive();
            post(d, 99, 0, 0, 8);
            post(d, DmaEngineWorkload.OP_COPY, 0x9000_0000L, GUEST + 0x40000, 64);
            post(d, DmaEngineWorkload.OP_DEV_TO_GUEST, MEM - 8, GUEST, 64);
            await(() -> regQuiet(d, ERRORS), 3);
            assertThat(status(3)).isEqualTo(DmaEngineWorkload.STATUS_ERROR | Errno.EINVAL);
            assertThat(status(4)).isEqualTo(DmaEngineWorkload.STATUS_ERROR | Errno.EFAULT);
            assertThat(status(5)).isEqualTo(DmaEngineWorkload.STATUS_ERROR | Errno.EINVAL);
            assertThat(reg(d, RING_HEAD)).isEqualTo(6);
        }
    }

    @Test
    void stopReallyStopsTheWorkloadAndFreezesRegisters() throws Exception {
        final Rig r = rig(64L << 20);
        final DmaEngine d = r.device();
        await(() -> regQuiet(d, MUTATED), 1);
        r.engine().setState(MigrationState.STOP);
        assertThat(d.workloadRunning()).isFalse();
        final long sum = r.engine().checksum();
        Thread.sleep(30);
        assertThat(r.engine().checksum()).isEqualTo(sum);
        assertThatThrownBy(() -> reg(d, MUTATED)).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        r.engine().setState(MigrationState.RUNNING);
        assertThat(d.workloadRunning()).isTrue();
        final long before = reg(d, MUTATED);
        await(() -> regQuiet(d, MUTATED), before + 4096);
    }

    @Test
    void peerToPeerDescriptorsWaitWhileP2pIsQuiesced() throws Exception {
        final Rig r = rig(0);
        final DmaEngine d = r.device();
        final MemorySegment peer = MemorySegment.ofArray(new byte[0x1000]);
        d.dma().mapMemory(0x800000, peer, true, true);
        setUpRing(d);
        r.engine().setState(MigrationState.RUNNING_P2P);
        post(d, DmaEngineWorkload.OP_DEV_TO_GUEST, 0, 0x800000, 0x1000);
        Thread.sleep(30);
        assertThat(reg(d, RING_HEAD)).as("P2P descriptor deferred").isZero();
        r.engine().setState(MigrationState.RUNNING);
        await(() -> regQuiet(d, COMPLETED), 1);
        assertThat(status(0)).isEqualTo(DmaEngineWorkload.STATUS_OK);
    }

    @Test
    void deviceWritesToGuestMemoryAreDirtyLogged() throws Exception {
        final Rig r = rig(0);
        final DmaEngine d = r.device();
        setUpRing(d);
        assertThat(r.engine().startDirtyLogging(4096, List.of(new DmaRange(GUEST, 1 << 20)))).isEqualTo(4096);
        post(d, DmaEngineWorkload.OP_DEV_TO_GUEST, 0, GUEST + 0x80000, 0x3000);
        await(() -> regQuiet(d, COMPLETED), 1);
        final long[] bitmap = new long[4];
        r.engine().reportDirty(GUEST, 1 << 20, 4096, bitmap);
        assertThat(bitmap[0]).as("descriptor status write in the ring page").isEqualTo(1L);
        assertThat(bitmap[2]).isEqualTo(0b111L);
        r.engine().stopDirtyLogging();
    }

    @Test
    void preCopyRoundsShrinkWithASlowWorkloadAndTheLoadMatchesTheSwitchoverChecksum() throws Exception {
        final Rig src = rig(256L << 10);
        final MigrationStream s = src.engine().setState(MigrationState.PRE_COPY).stream().orElseThrow();
        final PrecopyInfo start = src.engine().precopyInfo();
        assertThat(start.initialBytes()).isGreaterThanOrEqualTo(MEM);
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final byte[] first = drain(s, false);
        all.writeBytes(first);
        assertThat(src.engine().precopyInfo().initialBytes()).isZero();
        final List<Integer> rounds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Thread.sleep(20);
            assertThat(src.engine().precopyInfo().dirtyBytes()).isPositive();
            final byte[] round = drain(s, false);
            rounds.add(round.length);
            all.writeBytes(round);
        }
        assertThat(rounds).allSatisfy(n -> assertThat(n).isPositive().isLessThan(first.length / 10));
        src.engine().setState(MigrationState.PRE_COPY_P2P);
        assertThat(src.engine().setState(MigrationState.STOP_COPY).stream()).isEmpty();
        final long switchover = src.engine().checksum();
        final byte[] last = drain(s, true);
        assertThat(last.length).isLessThan(first.length / 10);
        all.writeBytes(last);
        final Rig dst = rig(0);
        load(dst.engine(), all.toByteArray());
        assertThat(dst.engine().checksum()).isEqualTo(switchover);
        assertThat(dst.device().saveRegisters()).isEqualTo(src.device().saveRegisters());
    }

    @Test
    void ringStateMigratesAndTheDestinationKeepsProcessing() throws Exception {
        final Rig src = rig(1 << 20);
        setUpRing(src.device());
        post(src.device(), DmaEngineWorkload.OP_DEV_TO_GUEST, 0, GUEST + 0x1000, 64);
        await(() -> regQuiet(src.device(), COMPLETED), 1);
        final MigrationStream s = src.engine().setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final long sum = src.engine().checksum();
        assertThat(src.engine().stopCopySize()).isGreaterThan(MEM);
        final byte[] bytes = drain(s, true);
        final Rig dst = rig(0);
        load(dst.engine(), bytes);
        assertThat(dst.engine().checksum()).isEqualTo(sum);
        dst.engine().setState(MigrationState.RUNNING);
        assertThat(reg(dst.device(), RING_BASE)).isEqualTo(GUEST);
        assertThat(reg(dst.device(), RATE)).isEqualTo(1 << 20);
        post(dst.device(), DmaEngineWorkload.OP_DEV_TO_GUEST, 0, GUEST + 0x2000, 64);
        await(() -> regQuiet(dst.device(), COMPLETED), 2);
    }

    /**
     * The move onto the SDK's paged blocks kept the wire format (version 1): a fresh 1 MiB engine's stop-copy stream
     * is byte for byte what the engine's own save source wrote before (digest taken with that build).
     */
    @Test
    void theStopCopyStreamIsByteForByteTheFormatVersion1Stream() throws Exception {
        final DmaEngine d = new DmaEngine(new DmaEngineConfig(1 << 20, 0, 42));
        final MigrationEngine e = MigrationEngine.of(d);
        closeables.add(e);
        e.setState(MigrationState.STOP);
        final byte[] stream = drain(e.setState(MigrationState.STOP_COPY).stream().orElseThrow(), true);
        assertThat(stream).hasSize(1049042);
        assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(stream))).isEqualTo("e501579bae745b8e0839be9997e2687d0f6438dca1b85349fccc161796958e09");
        assertThat(e.checksum()).isEqualTo(0x1a4f3b4cL);
    }

    @Test
    void streamOfADeviceWithOtherMemorySizeIsRejected() throws Exception {
        final Rig src = rig(0);
        final byte[] bytes = drain(src.engine().setState(MigrationState.STOP_COPY).stream().orElseThrow(), true);
        final DmaEngine other = new DmaEngine(DmaEngineConfig.ofMemory(MEM * 2).withRate(0));
        final MigrationEngine dst = MigrationEngine.of(other);
        closeables.add(dst);
        final long before = dst.checksum();
        assertThatThrownBy(() -> load(dst, bytes)).isInstanceOf(DeviceException.class);
        assertThat(dst.state()).isIn(MigrationState.RESUMING, MigrationState.ERROR);
        assertThatThrownBy(() -> dst.setState(MigrationState.STOP)).isInstanceOfSatisfying(
                MigrationException.class, e -> assertThat(e.state()).isEqualTo(MigrationState.ERROR));
        assertThat(dst.checksum()).isEqualTo(before);
    }

    @Test
    void withBusMasterDisabledNoByteMovesTheDescriptorFailsAndStatusShowsMasterAbort() throws Exception {
        final DmaEngine d = rig(0).device();
        setUpRing(d);
        guest.segment().asSlice(0x10000, 4096).fill((byte) 0x5A);
        command(d, PciConfigSpace.COMMAND_MEMORY);
        post(d, DmaEngineWorkload.OP_COPY, GUEST + 0x10000, GUEST + 0x20000, 4096);
        await(() -> regQuiet(d, ERRORS), 1);
        assertThat(guest.segment().asSlice(0x20000, 4096).toArray(ValueLayout.JAVA_BYTE)).as("no DMA with BME off")
                .containsOnly((byte) 0);
        assertThat(reg(d, COMPLETED)).isZero();
        assertThat(config16(d, PciConfigSpace.STATUS) & PciConfigSpace.STATUS_RECEIVED_MASTER_ABORT).isNotZero();

        d.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.STATUS, ByteBuffer.allocate(2)
                .order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) PciConfigSpace.STATUS_RECEIVED_MASTER_ABORT));
        assertThat(config16(d, PciConfigSpace.STATUS) & PciConfigSpace.STATUS_RECEIVED_MASTER_ABORT)
                .as("write 1 clears").isZero();
        command(d, PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER);
        post(d, DmaEngineWorkload.OP_COPY, GUEST + 0x10000, GUEST + 0x20000, 4096);
        await(() -> regQuiet(d, COMPLETED), 1);
        assertThat(guest.segment().asSlice(0x20000, 4096).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0x5A);
    }

    @Test
    void everyAccessWidthReadsAndMergesRegisterBytes() throws Exception {
        final DmaEngine d = rig(0).device();
        final Region bar = d.regions().get(0);
        reg(d, RING_BASE, 0x1122_3344_5566_7788L);
        final ByteBuffer one = ByteBuffer.allocate(1);
        bar.read(RING_BASE + 3, one);
        assertThat(one.get(0)).isEqualTo((byte) 0x55);
        final ByteBuffer two = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        bar.read(RING_BASE + 6, two);
        assertThat(two.getShort(0)).isEqualTo((short) 0x1122);
        bar.write(RING_BASE + 1, ByteBuffer.wrap(new byte[] {(byte) 0xAA}));
        bar.write(RING_BASE + 4, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 0xBBCC));
        assertThat(reg(d, RING_BASE)).isEqualTo(0x1122_BBCC_5566_AA88L);
        final ByteBuffer straddle = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        bar.read(RING_BASE + 6, straddle);
        assertThat(straddle.getShort(0)).as("bytes 6-7 of RING_BASE").isEqualTo((short) 0x1122);
    }

    /** Found by the server fuzzer: RATE = 2^63 - 1 made the worker loop for hours, and a reset waited for it. */
    @Test
    @Timeout(30)
    void aHugeRateKeepsTheWorkerStoppable() throws Exception {
        final Rig r = rig(0);
        reg(r.device(), RATE, Long.MAX_VALUE);
        Thread.sleep(50);
        final long t0 = System.nanoTime();
        r.device().reset();
        assertThat(System.nanoTime() - t0).as("reset latency, ns").isLessThan(5_000_000_000L);
        assertThat(reg(r.device(), RATE)).isZero();
    }
}
