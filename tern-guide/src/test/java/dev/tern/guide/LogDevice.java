package dev.tern.guide;

import dev.tern.device.DeviceException;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.RegionHandler;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.PagedDevice;
import dev.tern.device.migration.PagedMemory;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The large-state device of {@code docs/device-guide.md} section 8: 16 MiB of device memory, seen by the guest
 * through BAR2, into which the device itself appends one 4 KiB record per millisecond while CTRL bit 0 is set (a ring:
 * record {@code n} at page {@code n % pages}, every word of it {@code n + 1}). BAR0: CTRL (RW) and HEAD (RO, the next
 * record number). It migrates with pre-copy through the SDK's paged building blocks.
 */
// tag::paged-class[]
public final class LogDevice implements PagedDevice, PciDevice {
    /** BAR0 register offsets. */
    public static final int CTRL = 0x0, HEAD = 0x4, BAR0_SIZE = 8;
    /** Device memory, BAR2. */
    public static final long MEMORY = 16 << 20;

    private final PciConfigSpace config = new PciConfigSpace(0x7E27, 0x0C3D, 0x088000, 1)
            .bar(0, BAR0_SIZE, false)
            .bar(2, MEMORY, false);
    private final PagedMemory memory = PagedMemory.create("log", MEMORY);   // dirty-tracked, 4 KiB pages
    private final int[] regs = new int[BAR0_SIZE / 4];
    private final PciFunction function;
    private final Thread writer;
    private boolean running = true;
    // end::paged-class[]

    /**
     * A device in its power-on state (not appending), its writer started.
     *
     * @throws DeviceException ENOMEM if its memory cannot be allocated
     */
    // tag::paged-constructor[]
    public LogDevice() throws DeviceException {
        function = PciFunction.builder(config)
                .registers(RegionInfo.PCI_BAR0, BAR0_SIZE, new Bar0())
                .region(2, memory::window)   // guest accesses to BAR2: loads and dirty-tracked stores
                .build();
        writer = Thread.ofPlatform().daemon().name("log-writer").start(this::append);
    }
    // end::paged-constructor[]

    /** BAR0: CTRL is writable, HEAD read-only. */
    private final class Bar0 implements RegionHandler {
        @Override
        public void read(final long offset, final ByteBuffer dst) {
            synchronized (LogDevice.this) {
                final ByteBuffer image = ByteBuffer.allocate(BAR0_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                IntStream.of(regs).forEach(image::putInt);
                dst.put(image.flip().position((int) offset).limit((int) offset + dst.remaining()));
            }
        }

        @Override
        public void write(final long offset, final ByteBuffer src) throws DeviceException {
            if (offset != CTRL || src.remaining() != 4) {
                throw new DeviceException(Errno.EINVAL, "only CTRL is writable, 32 bits wide");
            }
            synchronized (LogDevice.this) {
                regs[CTRL / 4] = src.order(ByteOrder.LITTLE_ENDIAN).getInt() & 1;
            }
        }
    }

    // tag::paged-append[]
    /** The device's own writes: one record per millisecond while running; each marks its page dirty. */
    private void append() {
        final long[] record = new long[PagedMemory.PAGE / Long.BYTES];
        try {
            while (true) {
                Thread.sleep(1);
                synchronized (this) {
                    if (running && regs[CTRL / 4] == 1) {
                        final int n = regs[HEAD / 4]++;
                        Arrays.fill(record, n + 1L);
                        memory.write(Integer.toUnsignedLong(n) * PagedMemory.PAGE % MEMORY,
                                MemorySegment.ofArray(record));
                    }
                }
            }
        } catch (final InterruptedException | DeviceException e) {
            // close() interrupts the writer; a write inside the memory cannot fail
        }
    }
    // end::paged-append[]

    // tag::paged-state[]
    @Override
    public PagedMemory memory() {
        return memory;
    }

    @Override
    public int registersSize() {
        return PciConfigSpace.SIZE + BAR0_SIZE;
    }

    @Override
    public synchronized byte[] saveRegisters() {
        final ByteBuffer b = ByteBuffer.allocate(registersSize()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(config.snapshot());
        IntStream.of(regs).forEach(b::putInt);
        return b.array();
    }

    @Override
    public synchronized void loadRegisters(final ByteBuffer registers) throws DeviceException {
        final ByteBuffer le = registers.order(ByteOrder.LITTLE_ENDIAN);
        if (le.getInt(le.position()) != config.get32(0) || (le.getInt(le.position() + PciConfigSpace.SIZE) & ~1) != 0) {
            throw new DeviceException(Errno.EINVAL, "log state is for another device or has an invalid CTRL");
        }
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        le.get(cfg).asIntBuffer().get(regs);
        config.restore(cfg);
    }

    @Override
    public MigrationFlags migrationFlags() {
        return MigrationFlags.ALL;   // STOP_COPY, P2P and PRE_COPY
    }
    // end::paged-state[]

    // tag::paged-rest[]
    @Override
    public synchronized void stop(final Arc arc) {
        running = false;
    }

    @Override
    public synchronized void run(final Arc arc) {
        running = true;
    }

    @Override
    public synchronized void reset() {
        Arrays.fill(regs, 0);
        running = true;
    }
    // end::paged-rest[]

    @Override
    public String kind() {
        return "log";
    }

    @Override
    public int formatVersion() {
        return 1;
    }

    @Override
    public PciFunction function() {
        return function;
    }

    @Override
    public void close() {
        writer.interrupt();
        try {
            writer.join(10_000);   // the writer must be out of the memory before it is unmapped
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        memory.close();
    }
}
