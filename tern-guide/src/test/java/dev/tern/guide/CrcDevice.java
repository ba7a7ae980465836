package dev.tern.guide;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
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
 * The device that {@code docs/device-guide.md} builds: a CRC32C offload engine. The guest writes a buffer's address
 * and length into BAR0 and rings the doorbell; a device thread reads the buffer by DMA, writes the CRC back into
 * guest memory by DMA and raises INTx. The guide quotes this file between its {@code tag::} markers.
 */
// tag::class[]
public final class CrcDevice implements MigratableDevice, PciDevice {
    // end::class[]
    // tag::registers[]
    /** BAR0 register offsets, all 32-bit; RESULT and JOBS are read-only. */
    public static final int SRC_LO = 0x00, SRC_HI = 0x04, LEN = 0x08, DST_LO = 0x0C, DST_HI = 0x10,
            DOORBELL = 0x14, RESULT = 0x18, JOBS = 0x1C, BAR0_SIZE = 0x20;
    /** DOORBELL reads as the status: a job is waiting or running (BUSY), the last one failed (ERROR). */
    public static final int STATUS_BUSY = 1, STATUS_ERROR = 2;
    /** The longest buffer a job may cover. */
    public static final int MAX_LEN = 1 << 20;
    // end::registers[]
    /** The state bytes after the engine's header (format version 1): config space, then the registers. */
    static final int STATE_SIZE = PciConfigSpace.SIZE + BAR0_SIZE;

    // tag::fields[]
    private final PciConfigSpace config = new PciConfigSpace(0x7E27, 0x0C3C, 0x088000, 1)
            .bar(0, BAR0_SIZE, false)
            .interruptPin(1);
    private final PciFunction function;
    private final int[] regs = new int[BAR0_SIZE / 4];
    private final Thread worker;
    private boolean running = true;
    private boolean busy;
    // end::fields[]

    // tag::constructor[]
    /** A device in its power-on state, its worker started. */
    public CrcDevice() {
        function = PciFunction.builder(config)
                .registers(RegionInfo.PCI_BAR0, BAR0_SIZE, new Bar0())   // BAR0: trapped registers
                .irqs(IrqType.INTX)                                        // IRQ index 0 only: INTx
                .build();
        worker = Thread.ofPlatform().daemon().name("crc-worker").start(this::work);
    }
    // end::constructor[]

    // tag::bar0[]
    /** BAR0: 32-bit registers; a doorbell write queues a job for the worker. */
    private final class Bar0 implements RegionHandler {
        @Override
        public void read(final long offset, final ByteBuffer dst) throws DeviceException {
            synchronized (CrcDevice.this) {
                dst.put(image().position((int) offset).limit((int) offset + dst.remaining()));
            }
        }

        @Override
        public void write(final long offset, final ByteBuffer src) throws DeviceException {
            if (offset % 4 != 0 || src.remaining() != 4 || offset >= RESULT) {
                throw new DeviceException(Errno.EINVAL, "32-bit writes to SRC..DOORBELL only");
            }
            final int value = src.order(ByteOrder.LITTLE_ENDIAN).getInt();
            synchronized (CrcDevice.this) {
                if (offset != DOORBELL) {
                    regs[(int) offset / 4] = value;
                } else if ((value & 1) != 0 && (regs[DOORBELL / 4] & STATUS_BUSY) == 0) {
                    regs[DOORBELL / 4] = STATUS_BUSY;
                    CrcDevice.this.notifyAll();
                }
            }
        }
    }
    // end::bar0[]

    /** @return the registers as the guest reads them, little-endian, positioned at 0 */
    private ByteBuffer image() {
        final ByteBuffer b = ByteBuffer.allocate(BAR0_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        IntStream.of(regs).forEach(b::putInt);
        return b.flip();
    }

    // tag::work[]
    /** The worker: waits for a doorbell while the device runs, then serves the job by DMA. */
    private void work() {
        try {
            while (true) {
                final long src;
                final long dst;
                final int len;
                synchronized (this) {
                    while (!running || (regs[DOORBELL / 4] & STATUS_BUSY) == 0) {
                        wait();
                    }
                    busy = true;
                    src = address(SRC_LO);
                    dst = address(DST_LO);
                    len = regs[LEN / 4];
                }
                final int status = serve(src, dst, len);
                synchronized (this) {
                    regs[DOORBELL / 4] = status;
                    regs[JOBS / 4]++;
                    function.interrupt(); // INTx: delivered now, or latched until the guest unmasks it
                    busy = false;
                    notifyAll();
                }
            }
        } catch (final InterruptedException | DeviceException e) {
            // close() interrupts the worker; vector 0 always exists, so trigger does not fail
        }
    }

    private long address(final int lo) {
        return Integer.toUnsignedLong(regs[lo / 4]) | (long) regs[lo / 4 + 1] << 32;
    }
    // end::work[]

    // tag::dma[]
    /** One job: DMA the buffer in, DMA the CRC out. A refused DMA is a device error the guest sees, not a crash. */
    private int serve(final long src, final long dst, final int len) {
        try {
            if (len < 0 || len > MAX_LEN) {
                return STATUS_ERROR;
            }
            final ByteBuffer data = ByteBuffer.allocate(len);
            function.dma().read(src, data);         // EFAULT outside the mappings, ENODEV without Bus Master Enable
            final CRC32C crc = new CRC32C();
            crc.update(data.flip());
            final int value = (int) crc.getValue();
            function.dma().writeInt(dst, value);    // a DMA write: dirty-logged for the VMM without any code here
            synchronized (this) {
                regs[RESULT / 4] = value;
            }
            return 0;
        } catch (final DeviceException e) {
            return STATUS_ERROR;
        }
    }
    // end::dma[]

    // tag::quiesce[]
    /** RUNNING→STOP: no new job starts, and the running one finishes before the hook returns. */
    @Override
    public synchronized void stop(final Arc arc) throws DeviceException {
        running = false;
        awaitIdle();
    }

    /** STOP→RUNNING: a doorbell rung before the migration is served now. */
    @Override
    public synchronized void run(final Arc arc) {
        running = true;
        notifyAll();
    }

    private void awaitIdle() throws DeviceException {
        try {
            while (busy) {
                wait();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceException(Errno.EINTR, "interrupted while the crc worker finished its job");
        }
    }
    // end::quiesce[]

    // tag::identity[]
    @Override
    public String kind() {
        return "crc";
    }

    @Override
    public int formatVersion() {
        return 1;
    }

    /** STOP_COPY is always there; P2P: the device initiates no peer-to-peer DMA, so the P2P arcs have nothing to do. */
    @Override
    public MigrationFlags migrationFlags() {
        return MigrationFlags.P2P;
    }
    // end::identity[]

    // tag::save[]
    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) {
        return new SnapshotSource(snapshot());
    }

    @Override
    public long stopCopySize() {
        return STATE_SIZE;
    }

    private synchronized byte[] snapshot() {
        return ByteBuffer.allocate(STATE_SIZE).put(config.snapshot()).put(image()).array();
    }
    // end::save[]

    // tag::load[]
    @Override
    public LoadSink startResuming(final Arc arc) {
        return new BufferedSink(STATE_SIZE, this::load);
    }

    /** Validates everything first, then installs: a refused state leaves the device as it was. */
    private synchronized void load(final ByteBuffer state) throws DeviceException {
        if (state.remaining() != STATE_SIZE) {
            throw new DeviceException(Errno.EINVAL, "crc state is " + STATE_SIZE + " bytes, got " + state.remaining());
        }
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        final int[] incoming = new int[BAR0_SIZE / 4];
        state.get(cfg).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(incoming);
        if (ByteBuffer.wrap(cfg).order(ByteOrder.LITTLE_ENDIAN).getInt(0) != config.get32(0)) {
            throw new DeviceException(Errno.EINVAL, "crc state is for another PCI device");
        }
        if (incoming[LEN / 4] < 0 || incoming[LEN / 4] > MAX_LEN || (incoming[DOORBELL / 4] & ~3) != 0) {
            throw new DeviceException(Errno.EINVAL, "crc state has an invalid LEN or status");
        }
        config.restore(cfg);
        System.arraycopy(incoming, 0, regs, 0, regs.length);
    }
    // end::load[]

    // tag::checksum[]
    @Override
    public long checksum() {
        final CRC32C crc = new CRC32C();
        crc.update(snapshot());
        return crc.getValue();
    }

    @Override
    public synchronized void reset() throws DeviceException {
        awaitIdle();
        Arrays.fill(regs, 0);
        running = true;
    }
    // end::checksum[]

    // tag::accessors[]
    @Override
    public PciFunction function() {
        return function;
    }

    @Override
    public void close() {
        worker.interrupt();
        function.dma().unmapAll();
    }
    // end::accessors[]
}
