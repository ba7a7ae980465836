package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.DmaSpace;
import dev.tern.device.Irq;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.PagedDevice;
import dev.tern.device.migration.PagedMemory;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A large-state device written against the SDK's public API only: PCI function whose BAR0 is a window onto
 * {@code size} bytes of scratch RAM (a framebuffer, say). Everything migration needs comes from {@link PagedDevice}:
 * pre-copy rounds of dirty pages, stop-copy, staged loads, MIG_DATA_SIZE, checksum. Its registers are its config
 * space.
 */
final class ScratchRam implements PagedDevice {

    static final String KIND = "scratch-ram";
    static final int VENDOR = 0x1b36;
    static final int DEVICE = 0x7e57;

    private final DeviceGate gate = new DeviceGate();
    private final DmaSpace dma = new DmaSpace(gate);
    private final PciConfigSpace pci;
    private final PagedMemory memory;
    private final List<Region> regions = new ArrayList<>();

    /** @param size bytes of RAM, a power of two (it is a BAR) */
    ScratchRam(final long size) throws DeviceException {
        memory = PagedMemory.create(KIND, size);
        pci = new PciConfigSpace(VENDOR, DEVICE, 0x050000, 1).bar(0, size, false);
        gate.busMaster(pci);
        for (int i = 0; i < RegionInfo.PCI_NUM_REGIONS; i++) {
            regions.add(switch (i) {
                case RegionInfo.PCI_BAR0 -> memory.window(i, gate);
                case RegionInfo.PCI_CONFIG -> Region.config(pci, gate);
                default -> Region.absent(i, gate);
            });
        }
    }

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
        return List.of();
    }

    @Override
    public DmaSpace dma() {
        return dma;
    }

    @Override
    public DeviceGate gate() {
        return gate;
    }

    @Override
    public MigrationFlags migrationFlags() {
        return MigrationFlags.ALL;
    }

    @Override
    public int formatVersion() {
        return 1;
    }

    /** No thread of its own: the gate already freezes the window while stopped. */
    @Override
    public void stop(final Arc arc) {
    }

    @Override
    public void run(final Arc arc) {
    }

    @Override
    public PagedMemory memory() {
        return memory;
    }

    @Override
    public int registersSize() {
        return PciConfigSpace.SIZE;
    }

    @Override
    public byte[] saveRegisters() {
        return pci.snapshot();
    }

    @Override
    public void loadRegisters(final ByteBuffer registers) throws DeviceException {
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        registers.get(cfg);
        final int id = ByteBuffer.wrap(cfg).order(registers.order()).getInt(0);
        if (id != (VENDOR | DEVICE << 16)) {
            throw new DeviceException(Errno.EINVAL, KIND + " state is for PCI device " + Integer.toHexString(id));
        }
        pci.restore(cfg);
    }

    /** RAM keeps its contents across a reset, as DRAM does; nothing else to reset. */
    @Override
    public void reset() {
    }

    @Override
    public void close() {
        dma.unmapAll();
        memory.close();
    }
}
