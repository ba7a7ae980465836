package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.PagedDevice;
import dev.tern.device.migration.PagedMemory;
import dev.tern.device.migration.PagedSaveSource;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.SaveSource;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The {@code dma-engine} sample: a copy engine with a descriptor ring in guest memory (see
 * {@link DmaEngineWorkload}), registers in BAR0 (see {@link DmaEngineRegisters}) and on-device memory in a memfd
 * (lazily backed, so several GiB cost only what is touched) that a background workload mutates at a configurable
 * rate while running. PCI id {@link SampleIds#VENDOR}:{@link SampleIds#DMA_ENGINE_DEVICE}.
 *
 * <p>Migration flags are all three: P2P (the engine defers descriptors that touch P2P mappings while quiesced) and
 * PRE_COPY. The memory is a {@link PagedMemory} and the state stream the SDK's paged format ({@link PagedDevice}):
 * round 1 sends all memory, later rounds the pages dirtied since, stop-copy the rest and the registers; loads are
 * staged and swapped in on RESUMING→STOP.
 */
public final class DmaEngine implements PagedDevice, PciDevice {

    /** Device kind in streams and on the command line. */
    public static final String KIND = "dma-engine";
    /** State format version. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes of registers and config space in a REGS record. */
    static final int REGS_SIZE = DmaEngineRegisters.SIZE + PciConfigSpace.SIZE;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DmaEngineConfig config;
    private final PciConfigSpace pci = new PciConfigSpace(SampleIds.VENDOR, SampleIds.DMA_ENGINE_DEVICE,
            SampleIds.CLASS_SYSTEM_OTHER, 1).bar(0, DmaEngineRegisters.BAR_SIZE, false).interruptPin(1)
            .powerManagement().msi();
    private final DmaEngineRegisters regs;
    private final PciFunction function;
    private final DmaEngineWorkload workload = new DmaEngineWorkload(this);
    private final PagedMemory memory;

    /**
     * Creates the device and starts its workload (the device is RUNNING after open).
     *
     * @param config memory size, default rate and seed of the workload, re-initialisation point; kept as is
     * @throws DeviceException ENOMEM if the memfd cannot be created
     */
    public DmaEngine(final DmaEngineConfig config) throws DeviceException {
        this.config = config;
        this.regs = new DmaEngineRegisters(config.memoryBytes(), config.mutationBytesPerSecond(), config.seed());
        this.memory = PagedMemory.create("tern-dma-engine", config.memoryBytes());
        this.function = PciFunction.builder(pci)
                .registers(RegionInfo.PCI_BAR0, DmaEngineRegisters.BAR_SIZE, new DmaEngineBar(regs, workload::kick))
                .irqs(IrqType.REQ).onSoftReset(this::reset).build();
        workload.start(false);
    }

    // ---- used by the workload, the save source and the load sink ----

    DmaEngineConfig config() {
        return config;
    }

    long rate() {
        synchronized (regs) {
            return regs.rate;
        }
    }

    /** @return {ringBase, ringSize, head} if a descriptor is ready, else null */
    long[] ringSnapshot() {
        synchronized (regs) {
            if ((regs.ctrl & DmaEngineRegisters.CTRL_RING) == 0 || regs.ringSize == 0 || regs.head == regs.tail) {
                return null;
            }
            return new long[] {regs.ringBase, regs.ringSize, regs.head};
        }
    }

    /** @return {statusAddr, completed, errors, mutated, head, tail, seed} if status writeback is on, else null */
    long[] statusSnapshot() {
        synchronized (regs) {
            if ((regs.ctrl & DmaEngineRegisters.CTRL_STATUS) == 0) {
                return null;
            }
            return new long[] {regs.statusAddr, regs.completed, regs.errors, regs.mutated, regs.head, regs.tail,
                regs.seed};
        }
    }

    /** Retires the head descriptor and raises the completion interrupt if enabled. */
    void complete(final boolean ok) {
        final boolean irq;
        synchronized (regs) {
            regs.head++;
            if (ok) {
                regs.completed++;
            } else {
                regs.errors++;
            }
            irq = (regs.ctrl & DmaEngineRegisters.CTRL_IRQ) != 0;
        }
        if (irq) {
            try {
                function.interrupt();
            } catch (final DeviceException e) {
                throw new IllegalStateException("vector 0 exists", e);
            }
        }
    }

    void statusFailed() {
        synchronized (regs) {
            regs.errors++;
        }
    }

    /** Overwrites {@code pages} pseudo-random pages of device memory (the background workload). */
    void mutate(final long pages) {
        long seed;
        synchronized (regs) {
            seed = regs.seed;
        }
        final MemorySegment mem = memory.segment();
        final long total = memory.pages();
        for (long i = 0; i < pages; i++) {
            seed ^= seed << 13;
            seed ^= seed >>> 7;
            seed ^= seed << 17;
            final long off = Long.remainderUnsigned(seed, total) * PagedMemory.PAGE;
            mem.asSlice(off, PagedMemory.PAGE).fill((byte) seed);
            mem.set(LONG, off, seed);
            memory.markDirty(off, PagedMemory.PAGE);
        }
        synchronized (regs) {
            regs.seed = seed;
            regs.mutated += pages * PagedMemory.PAGE;
        }
    }

    @Override
    public PagedMemory memory() {
        return memory;
    }

    @Override
    public int registersSize() {
        return REGS_SIZE;
    }

    /** @return registers then config space, {@link #REGS_SIZE} bytes */
    @Override
    public byte[] saveRegisters() {
        final ByteBuffer b = ByteBuffer.allocate(REGS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        synchronized (regs) {
            regs.save(b);
        }
        b.put(pci.snapshot());
        return b.array();
    }

    /** Checks the PCI identity and every register before replacing anything. */
    @Override
    public void loadRegisters(final ByteBuffer image) throws DeviceException {
        DmaEngineRegisters.validate(image.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        final int id = image.getInt(image.position() + DmaEngineRegisters.SIZE);
        if (id != (SampleIds.VENDOR | SampleIds.DMA_ENGINE_DEVICE << 16)) {
            throw new DeviceException(Errno.EINVAL, "dma-engine state is for PCI device " + Integer.toHexString(id));
        }
        synchronized (regs) {
            regs.load(image);
        }
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        image.get(cfg);
        pci.restore(cfg);
    }

    // ---- Device ----

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public PciFunction function() {
        return function;
    }

    /** {@return true while the workload thread runs (false in the stopped states)} */
    public boolean workloadRunning() {
        return workload.running();
    }

    // ---- MigrationHooks ----

    @Override
    public MigrationFlags migrationFlags() {
        return MigrationFlags.ALL;
    }

    @Override
    public int formatVersion() {
        return FORMAT_VERSION;
    }

    @Override
    public void stop(final Arc arc) {
        workload.stop();
    }

    @Override
    public void run(final Arc arc) {
        workload.start(arc.to().isP2pQuiesced());
    }

    @Override
    public void quiesceP2p(final Arc arc) {
        workload.quiesceP2p();
    }

    @Override
    public void unquiesceP2p(final Arc arc) {
        workload.unquiesceP2p();
    }

    /** With {@link DmaEngineConfig#reinitAfterBytes()}, the session re-initialises once (see {@link Reinit}). */
    @Override
    public SaveSource startPreCopy(final Arc arc) {
        final PagedSaveSource s = memory.startSaving(this);
        return config.reinitAfterBytes() > 0 ? new Reinit(s, config.reinitAfterBytes()) : s;
    }

    /**
     * Re-initialises once, right after the first answer that shows the initial data all read and at least
     * {@code after} page bytes sent: the next answer reports REINIT (between answers, so the migration has seen the
     * initial data complete once, sent INIT_DATA_SENT and must now see it renewed) — as mlx5 does.
     */
    private static final class Reinit implements SaveSource {
        private final PagedSaveSource source;
        private final long after;
        private boolean done;

        Reinit(final PagedSaveSource source, final long after) {
            this.source = source;
            this.after = after;
        }

        @Override
        public int read(final ByteBuffer dst, final boolean stopCopy) {
            return source.read(dst, stopCopy);
        }

        @Override
        public PrecopyInfo precopyInfo() {
            final PrecopyInfo p = source.precopyInfo();
            if (!done && p.initialBytes() == 0 && source.pageBytesSent() >= after) {
                source.reinit();
                done = true;
            }
            return p;
        }

        @Override
        public void close() {
            source.close();
        }
    }

    @Override
    public void reset() {
        workload.stop();
        synchronized (regs) {
            regs.reset(config.mutationBytesPerSecond(), config.seed());
        }
        workload.start(false);
    }

    @Override
    public synchronized void close() {
        workload.stop();
        function.dma().unmapAll();
        memory.close();
    }
}
