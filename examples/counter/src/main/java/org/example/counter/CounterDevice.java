package org.example.counter;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqInfo;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.Region;
import dev.tern.device.RegionHandler;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.BufferedSink;
import dev.tern.device.migration.LoadSink;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.SaveSource;
import dev.tern.device.migration.SnapshotSource;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;

/**
 * A counter that counts by itself: BAR0 holds eight 32-bit registers. While the device runs and CTRL bit 0 is set,
 * a device thread adds STEP to COUNT every millisecond and raises INTx when COUNT passes ALARM. The migrated state is
 * the config space and the eight registers (format version 1).
 */
public final class CounterDevice implements MigratableDevice, PciDevice {
    /** Register offsets in BAR0: COUNT (read-only), CTRL, STEP, ALARM, then four scratch registers. */
    public static final int COUNT = 0x0, CTRL = 0x4, STEP = 0x8, ALARM = 0xC, REGS = 8;
    static final int STATE_SIZE = PciConfigSpace.SIZE + 4 * REGS;

    private final PciConfigSpace config = new PciConfigSpace(0x7E27, 0x0C01, 0x088000, 1).bar(0, 4 * REGS, false)
            .interruptPin(1);
    private final int[] regs = new int[REGS];
    private final PciFunction function;
    private final Thread ticker;
    private boolean running = true;

    /** BAR0: reads have no side effects, so they are served while stopped; writes are frozen then (EBUSY). */
    private final RegionHandler bar0 = new RegionHandler() {
        @Override
        public void read(final long offset, final ByteBuffer dst) throws DeviceException {
            synchronized (CounterDevice.this) {
                dst.put(registerImage().position((int) offset).limit((int) offset + dst.remaining()));
            }
        }

        @Override
        public void write(final long offset, final ByteBuffer src) throws DeviceException {
            function.gate().checkStateChange();
            if (offset % 4 != 0 || src.remaining() != 4 || offset == COUNT) {
                throw new DeviceException(Errno.EINVAL, "32-bit writes to CTRL..SCRATCH only");
            }
            synchronized (CounterDevice.this) {
                regs[(int) offset / 4] = src.order(ByteOrder.LITTLE_ENDIAN).getInt();
            }
        }
    };

    /** A counter in its power-on state (counting disabled), its thread started. */
    public CounterDevice() {
        function = PciFunction.builder(config)
                .region(RegionInfo.PCI_BAR0, (i, gate) -> new Region(new RegionInfo(i, 4 * REGS,
                        RegionInfo.FLAG_READ | RegionInfo.FLAG_WRITE), bar0, Optional.empty(), gate, false))
                .irq(new IrqInfo(IrqType.INTX, 1, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_MASKABLE))
                .build();
        ticker = Thread.ofPlatform().daemon().name("counter").start(this::tick);
    }

    /** The device's own activity; {@link #stop} pauses it under the same lock, so no tick follows the hook. */
    private void tick() {
        try {
            while (true) {
                Thread.sleep(1);
                synchronized (this) {
                    if (running && (regs[CTRL / 4] & 1) != 0) {
                        final int before = regs[COUNT / 4];
                        regs[COUNT / 4] += regs[STEP / 4];
                        if (Integer.compareUnsigned(before, regs[ALARM / 4]) < 0
                                && Integer.compareUnsigned(regs[COUNT / 4], regs[ALARM / 4]) >= 0) {
                            function.interrupt();
                        }
                    }
                }
            }
        } catch (final InterruptedException | DeviceException e) {
            // close() interrupts; a trigger only fails for a vector outside the index
        }
    }

    private ByteBuffer registerImage() {
        final ByteBuffer b = ByteBuffer.allocate(4 * REGS).order(ByteOrder.LITTLE_ENDIAN);
        IntStream.of(regs).forEach(b::putInt);
        return b.flip();
    }

    private synchronized byte[] snapshot() {
        return ByteBuffer.allocate(STATE_SIZE).put(config.snapshot()).put(registerImage()).array();
    }

    /** Installs a staged state after checking its length and PCI identity; nothing changes if it is refused. */
    private synchronized void load(final ByteBuffer state) throws DeviceException {
        final ByteBuffer le = state.order(ByteOrder.LITTLE_ENDIAN);
        if (le.remaining() != STATE_SIZE || le.getInt(le.position()) != config.get32(0)) {
            throw new DeviceException(Errno.EINVAL, "not a counter state (" + STATE_SIZE + " bytes, PCI id "
                    + Integer.toHexString(config.get32(0)) + ")");
        }
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        le.get(cfg).asIntBuffer().get(regs);
        config.restore(cfg);
    }

    @Override public String kind() { return "example-counter"; }
    @Override public int formatVersion() { return 1; }
    @Override public MigrationFlags migrationFlags() { return MigrationFlags.P2P; }
    @Override public synchronized void stop(final Arc arc) { running = false; }
    @Override public synchronized void run(final Arc arc) { running = true; }
    @Override public long stopCopySize() { return STATE_SIZE; }
    @Override public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> pre) {
        return new SnapshotSource(snapshot());
    }
    @Override public LoadSink startResuming(final Arc arc) { return new BufferedSink(STATE_SIZE, this::load); }
    @Override public long checksum() {
        final CRC32C crc = new CRC32C();
        crc.update(snapshot());
        return crc.getValue();
    }
    @Override public synchronized void reset() {
        Arrays.fill(regs, 0);
        running = true;
    }
    @Override public PciFunction function() { return function; }
    @Override public void close() { ticker.interrupt(); }
}
