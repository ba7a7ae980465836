package dev.tern.demo;

import dev.tern.device.DeviceException;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.Uart;
import dev.tern.vmm.GuestMemory;
import dev.tern.migration.SourceMigration;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-in for the guest's vCPUs: writes guest memory at a set rate (tracked by {@link GuestMemory}'s dirty
 * log), drives each dma-engine like a driver would — a descriptor ring in guest memory, device-to-guest copies
 * whose DMA writes the device's own dirty logging must catch — and sends and receives bytes on the uart. Pausing it
 * is the VM stop of the switchover.
 */
public final class GuestWorkload implements SourceMigration.Guest {

    private static final long TICK_NANOS = 10_000_000;
    private static final int RING_ENTRIES = 256;
    private static final int DESCRIPTOR = 32;
    private static final long COPY = 64 * 1024;
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GuestMemory memory;
    private final List<DmaEngine> engines;
    private final List<Uart> uarts;
    private final long bytesPerSecond;
    private final long ringBase;
    private final long statusBase;
    private final long[] tails;
    private final SplittableRandom random;
    private volatile boolean stop;
    private Thread thread;

    /**
     * Programs each dma-engine (ring, status block, mutation rate) and prepares the uarts.
     *
     * @param bytesPerSecond guest memory written per second, and each engine's mutation rate
     * @param memory the guest memory the devices DMA into
     * @param engines the dma-engines to drive
     * @param uarts the uarts to write to
     * @param seed the seed of the write pattern
     * @throws DeviceException if an engine cannot be programmed
     */
    public GuestWorkload(final GuestMemory memory, final List<DmaEngine> engines, final List<Uart> uarts,
            final long bytesPerSecond, final long seed) throws DeviceException {
        this.memory = memory;
        this.engines = List.copyOf(engines);
        this.uarts = List.copyOf(uarts);
        this.bytesPerSecond = bytesPerSecond;
        this.random = new SplittableRandom(seed);
        this.tails = new long[engines.size()];
        // Top of guest memory: one ring (8 KiB) and one status block per engine.
        this.ringBase = memory.size() - (long) (engines.size() + 1) * 16384;
        this.statusBase = ringBase + (long) engines.size() * RING_ENTRIES * DESCRIPTOR;
        for (int e = 0; e < engines.size(); e++) {
            final Region bar = bar0(engines.get(e).regions());
            engines.get(e).regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,   // pci_set_master
                    ByteBuffer.wrap(new byte[] {PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER, 0}));
            writeReg(bar, 0x10, ringBase + (long) e * RING_ENTRIES * DESCRIPTOR); // RING_BASE
            writeReg(bar, 0x18, RING_ENTRIES);                                   // RING_SIZE
            writeReg(bar, 0x50, statusBase + e * 64L);                            // STATUS_ADDR
            writeReg(bar, 0x48, bytesPerSecond);                                  // RATE
            writeReg(bar, 0x08, 1 | 4);                                           // CTRL: ring + status
        }
        for (final Uart u : uarts) {
            u.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,   // the port's I/O space on
                    ByteBuffer.wrap(new byte[] {PciConfigSpace.COMMAND_IO, 0}));
            u.injectRx("hello from the host\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    /** Starts the vCPU thread. */
    public synchronized void start() {
        stop = false;
        thread = Thread.ofPlatform().daemon().name("guest-vcpu").start(this::loop);
    }

    @Override
    public synchronized void pause() {
        stop = true;
        if (thread != null) {
            LockSupport.unpark(thread);
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (final InterruptedException e) {
                    interrupted = true;
                }
            }
            thread = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void resume() {
        start();
    }

    private void loop() {
        final long perTick = Math.max(GuestMemory.PAGE, bytesPerSecond * TICK_NANOS / 1_000_000_000L);
        final MemorySegment page = MemorySegment.ofArray(new byte[GuestMemory.PAGE]);
        final long dataPages = (ringBase / GuestMemory.PAGE) / 2;
        long next = System.nanoTime();
        try {
            while (!stop) {
                for (long written = 0; written < perTick; written += GuestMemory.PAGE) {
                    page.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, random.nextLong());
                    memory.write(random.nextLong(dataPages) * GuestMemory.PAGE, page);
                }
                for (int e = 0; e < engines.size(); e++) {
                    submitCopy(e, dataPages);
                }
                for (final Uart u : uarts) {
                    bar0(u.regions()).write(0, ByteBuffer.wrap(new byte[] {(byte) ('a' + random.nextInt(26))}));
                    u.takeTx();
                }
                next += TICK_NANOS;
                LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
            }
        } catch (final DeviceException e) {
            throw new IllegalStateException("guest workload: " + e.getMessage(), e);
        }
    }

    /** Queues one device→guest copy into the second half of the data pages (DMA the device must log). */
    private void submitCopy(final int e, final long dataPages) throws DeviceException {
        final Region bar = bar0(engines.get(e).regions());
        final long head = readReg(bar, 0x20);
        if (tails[e] - head >= RING_ENTRIES) {
            return;
        }
        final long slot = ringBase + (long) e * RING_ENTRIES * DESCRIPTOR + (tails[e] % RING_ENTRIES) * DESCRIPTOR;
        final MemorySegment guest = memory.segment();
        final long deviceMemory = readReg(bar, 0x40);
        guest.set(LE_INT, slot, 2);                                            // OP_DEV_TO_GUEST
        guest.set(LE_INT, slot + 4, 0);
        guest.set(LE_LONG, slot + 8, random.nextLong(deviceMemory / COPY) * COPY);
        guest.set(LE_LONG, slot + 16, (dataPages + random.nextLong(dataPages - COPY / GuestMemory.PAGE))
                * GuestMemory.PAGE);
        guest.set(LE_LONG, slot + 24, COPY);
        memory.markDirty(slot, DESCRIPTOR);
        writeReg(bar, 0x28, ++tails[e]);                                         // RING_TAIL doorbell
    }

    private static Region bar0(final List<Region> regions) {
        return regions.stream().filter(r -> r.info().index() == RegionInfo.PCI_BAR0).findFirst().orElseThrow();
    }

    private static void writeReg(final Region bar, final long offset, final long value) throws DeviceException {
        bar.write(offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).flip());
    }

    private static long readReg(final Region bar, final long offset) throws DeviceException {
        final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        bar.read(offset, b);
        return b.flip().getLong();
    }
}
