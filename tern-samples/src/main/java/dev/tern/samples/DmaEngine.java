package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.DmaSpace;
import dev.tern.device.Irq;
import dev.tern.device.IrqInfo;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.StateChecksum;
import dev.tern.device.migration.LoadSink;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.SaveSource;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import dev.tern.sys.PosixException;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code dma-engine} sample: a copy engine with a descriptor ring in guest memory (see
 * {@link DmaEngineWorkload}), registers in BAR0 (see {@link DmaEngineRegisters}) and on-device memory in a memfd
 * (lazily backed, so several GiB cost only what is touched) that a background workload mutates at a configurable
 * rate while running. PCI id {@link SampleIds#VENDOR}:{@link SampleIds#DMA_ENGINE_DEVICE}.
 *
 * <p>Migration flags are all three: P2P (the engine defers descriptors that touch P2P mappings while quiesced) and
 * PRE_COPY (round 1 sends all memory, later rounds the pages dirtied since, stop-copy the rest and the registers;
 * see {@link DmaEngineSaveSource}). Loads are staged in a second memfd and swapped in on RESUMING→STOP.
 */
public final class DmaEngine implements MigratableDevice {

    /** Device kind in streams and on the command line. */
    public static final String KIND = "dma-engine";
    /** State format version. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes of registers and config space in a REGS record. */
    static final int REGS_SIZE = DmaEngineRegisters.SIZE + PciConfigSpace.SIZE;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DmaEngineConfig config;
    private final DeviceGate gate = new DeviceGate();
    private final DmaSpace dma = new DmaSpace(gate);
    private final PciConfigSpace pci = new PciConfigSpace(SampleIds.VENDOR, SampleIds.DMA_ENGINE_DEVICE,
            SampleIds.CLASS_SYSTEM_OTHER, 1).bar(0, DmaEngineRegisters.BAR_SIZE, false).interruptPin(1)
            .powerManagement().msi();
    private final DmaEngineRegisters regs;
    private final PageTracker tracker;
    private final List<Region> regions = new ArrayList<>();
    private final List<Irq> irqs = new ArrayList<>();
    private final DmaEngineWorkload workload = new DmaEngineWorkload(this);
    private volatile SharedMemory memory;
    private SharedMemory spare;
    private DmaEngineSaveSource activeSource;

    /**
     * Creates the device and starts its workload (the device is RUNNING after open).
     *
     * @throws DeviceException ENOMEM if the memfd cannot be created
     */
    public DmaEngine(final DmaEngineConfig config) throws DeviceException {
        this.config = config;
        this.regs = new DmaEngineRegisters(config.memoryBytes(), config.mutationBytesPerSecond(), config.seed());
        this.tracker = new PageTracker(config.memoryBytes() / PageTracker.PAGE);
        this.memory = allocate();
        gate.busMaster(pci);
        pci.onSoftReset(() -> {
            if (gate.running()) {
                reset();
            }
        });
        for (int i = 0; i < RegionInfo.PCI_NUM_REGIONS; i++) {
            regions.add(switch (i) {
                case RegionInfo.PCI_BAR0 -> Region.registers(i, DmaEngineRegisters.BAR_SIZE,
                        new DmaEngineBar(regs, workload::kick), gate);
                case RegionInfo.PCI_CONFIG -> Region.config(pci, gate);
                default -> Region.absent(i, gate);
            });
        }
        irqs.add(new Irq(new IrqInfo(IrqType.INTX, 1,
                IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_MASKABLE | IrqInfo.FLAG_AUTOMASKED), gate));
        irqs.add(new Irq(new IrqInfo(IrqType.MSI, 1, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_NORESIZE), gate));
        irqs.add(new Irq(new IrqInfo(IrqType.MSIX, 0, IrqInfo.FLAG_EVENTFD), gate));
        irqs.add(new Irq(new IrqInfo(IrqType.ERR, 1, IrqInfo.FLAG_EVENTFD), gate));
        irqs.add(new Irq(new IrqInfo(IrqType.REQ, 1, IrqInfo.FLAG_EVENTFD), gate));
        workload.start(false);
    }

    private SharedMemory allocate() throws DeviceException {
        try {
            return SharedMemory.create("tern-dma-engine", config.memoryBytes());
        } catch (final PosixException e) {
            throw new DeviceException(Errno.ENOMEM, "cannot allocate " + config.memoryBytes()
                    + " bytes of device memory: " + e.getMessage(), e);
        }
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
            final Irq msi = irqs.get(IrqType.MSI.index());
            try {
                (msi.hasTrigger(0) ? msi : irqs.get(IrqType.INTX.index())).trigger(0);
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

    /** @return device memory {@code [offset, offset + length)} */
    MemorySegment deviceMemory(final long offset, final long length) throws DeviceException {
        if (offset < 0 || length < 0 || offset > config.memoryBytes() - length) {
            throw new DeviceException(Errno.EINVAL, "device memory range 0x" + Long.toHexString(offset) + "+0x"
                    + Long.toHexString(length) + " is outside 0x" + Long.toHexString(config.memoryBytes()));
        }
        return memory.segment().asSlice(offset, length);
    }

    /** Overwrites {@code pages} pseudo-random pages of device memory (the background workload). */
    void mutate(final long pages) {
        long seed;
        synchronized (regs) {
            seed = regs.seed;
        }
        final MemorySegment mem = memory.segment();
        final long total = tracker.pages();
        for (long i = 0; i < pages; i++) {
            seed ^= seed << 13;
            seed ^= seed >>> 7;
            seed ^= seed << 17;
            final long off = Long.remainderUnsigned(seed, total) * PageTracker.PAGE;
            mem.asSlice(off, PageTracker.PAGE).fill((byte) seed);
            mem.set(LONG, off, seed);
            tracker.mark(off, PageTracker.PAGE);
        }
        synchronized (regs) {
            regs.seed = seed;
            regs.mutated += pages * PageTracker.PAGE;
        }
    }

    PageTracker tracker() {
        return tracker;
    }

    MemorySegment memory() {
        return memory.segment();
    }

    /** @return the memfd behind device memory (the save source preads it so untouched pages cost nothing) */
    SharedMemory memoryFile() {
        return memory;
    }

    long memoryBytes() {
        return config.memoryBytes();
    }

    /** @return registers then config space, {@link #REGS_SIZE} bytes */
    byte[] saveRegisters() {
        final ByteBuffer b = ByteBuffer.allocate(REGS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        synchronized (regs) {
            regs.save(b);
        }
        b.put(pci.snapshot());
        return b.array();
    }

    /** Checks a REGS record without changing anything. */
    static void validateRegisters(final ByteBuffer image) throws DeviceException {
        DmaEngineRegisters.validate(image.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        final ByteBuffer cfg = image.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        final int id = cfg.getInt(image.position() + DmaEngineRegisters.SIZE);
        if (id != (SampleIds.VENDOR | SampleIds.DMA_ENGINE_DEVICE << 16)) {
            throw new DeviceException(Errno.EINVAL, "dma-engine state is for PCI device " + Integer.toHexString(id));
        }
    }

    /** @return memory to stage a load into (reused across loads) */
    synchronized SharedMemory spare() throws DeviceException {
        if (spare == null) {
            spare = allocate();
        }
        return spare;
    }

    /** Installs a validated load: the staged memory becomes device memory (O(1)), registers are replaced. */
    synchronized void install(final SharedMemory staged, final ByteBuffer image) {
        final SharedMemory old = memory;
        memory = staged;
        spare = old;
        final ByteBuffer b = image.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        synchronized (regs) {
            regs.load(b);
        }
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        b.get(cfg);
        pci.restore(cfg);
        tracker.clearAll();
    }

    // ---- Device ----

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<Region> regions() {
        return List.copyOf(regions);
    }

    @Override
    public List<Irq> irqs() {
        return List.copyOf(irqs);
    }

    @Override
    public DmaSpace dma() {
        return dma;
    }

    @Override
    public DeviceGate gate() {
        return gate;
    }

    /** @return true while the workload thread runs (false in the stopped states) */
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

    @Override
    public synchronized SaveSource startPreCopy(final Arc arc) {
        activeSource = new DmaEngineSaveSource(this, this::sourceClosed);
        return activeSource;
    }

    @Override
    public synchronized SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) {
        if (preCopy.isPresent()) {
            workload.stop();
            return preCopy.get();
        }
        activeSource = new DmaEngineSaveSource(this, this::sourceClosed);
        return activeSource;
    }

    private synchronized void sourceClosed(final DmaEngineSaveSource source) {
        if (activeSource == source) {
            activeSource = null;
        }
    }

    @Override
    public LoadSink startResuming(final Arc arc) throws DeviceException {
        final SharedMemory staging = spare();
        try {
            // RESUMING opens before the source stops; faulting the staging pages in now keeps page-fault time
            // out of the downtime, when the state streams in at full speed.
            staging.populate();
        } catch (final PosixException e) {
            throw new DeviceException(e.errno(), "cannot allocate staging memory: " + e.getMessage(), e);
        }
        return new DmaEngineLoadSink(this, staging);
    }

    @Override
    public synchronized long stopCopySize() {
        final DmaEngineSaveSource s = activeSource;
        return s != null ? s.remainingBytes() : DmaEngineSaveSource.fullStreamBytes(config.memoryBytes());
    }

    @Override
    public long checksum() {
        return StateChecksum.of(memory.segment(), ByteBuffer.wrap(saveRegisters()));
    }

    @Override
    public void reset() {
        workload.stop();
        synchronized (regs) {
            regs.reset(config.mutationBytesPerSecond(), config.seed());
        }
        tracker.clearAll();
        workload.start(false);
    }

    @Override
    public synchronized void close() {
        workload.stop();
        dma.unmapAll();
        memory.close();
        if (spare != null) {
            spare.close();
        }
    }
}
