package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.PagedDevice;
import dev.tern.device.migration.PagedMemory;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;

/**
 * A large-state device written against the SDK's public API only: PCI function whose BAR0 is a window onto
 * {@code size} bytes of scratch RAM (a framebuffer, say). Everything migration needs comes from {@link PagedDevice}:
 * pre-copy rounds of dirty pages, stop-copy, staged loads, MIG_DATA_SIZE, checksum. Its registers are its config
 * space.
 */
final class ScratchRam implements PagedDevice, PciDevice {

    static final String KIND = "scratch-ram";
    static final int VENDOR = 0x1b36;
    static final int DEVICE = 0x7e57;

    private final PciConfigSpace pci;
    private final PagedMemory memory;
    private final PciFunction function;

    /** @param size bytes of RAM, a power of two (it is a BAR) */
    ScratchRam(final long size) throws DeviceException {
        memory = PagedMemory.create(KIND, size);
        pci = new PciConfigSpace(VENDOR, DEVICE, 0x050000, 1).bar(0, size, false);
        function = PciFunction.builder(pci).region(RegionInfo.PCI_BAR0, memory::window).build();
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public PciFunction function() {
        return function;
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
        function.dma().unmapAll();
        memory.close();
    }
}
