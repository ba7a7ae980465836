package dev.tern.device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parts every emulated PCI function is made of, assembled once: its {@link DeviceGate}, its {@link DmaSpace}
 * (DMA only while the guest sets Bus Master Enable), its {@link PciConfigSpace} (BARs answer only while the command
 * register enables their address space), its regions indexed as vfio-pci numbers them (BARs the function does not
 * implement filled with {@link Region#absent}, config space at {@link RegionInfo#PCI_CONFIG}) and its IRQ indexes.
 * A device keeps one and answers the {@link Device} getters from it (see {@link PciDevice}); what stays in the
 * device is its registers, its work and its migration state.
 *
 * <p>A final class built by a {@link Builder} rather than an abstract base class: a device's region handlers are
 * usually inner classes of the device and its reset hook one of its methods, which a base-class constructor could not
 * reach before the subclass's fields exist; composition also lets a device that extends nothing implement any of the
 * SDK's device interfaces ({@code MigratableDevice}, {@code PagedDevice}).
 */
public final class PciFunction {

    private final PciConfigSpace config;
    private final DeviceGate gate;
    private final DmaSpace dma;
    private final List<Region> regions;
    private final List<Irq> irqs;

    private PciFunction(final Builder b) {
        config = b.config;
        gate = b.gate;
        dma = new DmaSpace(gate);
        gate.busMaster(config);
        final Region[] slots = new Region[RegionInfo.PCI_NUM_REGIONS];
        for (int i = 0; i < slots.length; i++) {
            final RegionMaker maker = b.regions[i];
            slots[i] = i == RegionInfo.PCI_CONFIG ? Region.config(config, gate)
                    : maker == null ? Region.absent(i, gate) : maker.make(i, gate);
        }
        regions = List.of(slots);
        irqs = b.irqs.stream().map(info -> new Irq(info, gate)).toList();
        final Runnable reset = b.softReset;
        if (reset != null) {
            config.onSoftReset(() -> {
                if (gate.running()) {   // a soft reset must not change a device that migration froze
                    reset.run();
                }
            });
        }
    }

    /**
     * Starts a function around its config space.
     *
     * @param config the function's configuration space (ids, class, BARs, capabilities), owned by the function from
     *     now on
     * @return a builder with no BARs and no IRQ indexes yet
     */
    public static Builder builder(final PciConfigSpace config) {
        return new Builder(config);
    }

    /**
     * The IRQ info Tern's devices report for one vfio-pci index: INTx maskable and automasked, MSI with one vector
     * (fixed size), no MSI-X vectors, one ERR and one REQ eventfd.
     *
     * @param type the index
     * @return its info
     */
    public static IrqInfo standardIrq(final IrqType type) {
        return switch (type) {
            case INTX -> new IrqInfo(type, 1, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_MASKABLE | IrqInfo.FLAG_AUTOMASKED);
            case MSI -> new IrqInfo(type, 1, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_NORESIZE);
            case MSIX -> new IrqInfo(type, 0, IrqInfo.FLAG_EVENTFD);
            case ERR, REQ -> new IrqInfo(type, 1, IrqInfo.FLAG_EVENTFD);
        };
    }

    /** {@return the configuration space} */
    public PciConfigSpace config() {
        return config;
    }

    /** {@return the gate: what the function may do now; set by the migration engine} */
    public DeviceGate gate() {
        return gate;
    }

    /** {@return the function's view of guest memory} */
    public DmaSpace dma() {
        return dma;
    }

    /** {@return all {@link RegionInfo#PCI_NUM_REGIONS} regions, indexed by region index (immutable)} */
    public List<Region> regions() {
        return regions;
    }

    /** {@return the IRQ indexes, indexed by vfio-pci IRQ index (immutable; empty for a function without IRQs)} */
    public List<Irq> irqs() {
        return irqs;
    }

    /**
     * Raises the function's interrupt: MSI vector 0 if the VMM installed a trigger for it (the guest enabled MSI),
     * else INTx (delivered now, or latched while the gate or the guest masks it).
     *
     * @throws DeviceException if the trigger cannot be signalled
     * @throws IllegalStateException if the function has no INTx index
     */
    public void interrupt() throws DeviceException {
        if (irqs.isEmpty()) {
            throw new IllegalStateException("the function has no IRQ index");
        }
        final boolean msi = irqs.size() > IrqType.MSI.index() && irqs.get(IrqType.MSI.index()).hasTrigger(0);
        irqs.get((msi ? IrqType.MSI : IrqType.INTX).index()).trigger(0);
    }

    /**
     * Makes the region of one index, given the function's gate (e.g. {@code PagedMemory::window}).
     */
    @FunctionalInterface
    public interface RegionMaker {
        /**
         * Makes the region.
         *
         * @param index the region index
         * @param gate the function's gate
         * @return the region, whose info has that index
         */
        Region make(int index, DeviceGate gate);
    }

    /** Collects a function's BARs, IRQ indexes and soft-reset hook; {@link #build()} assembles it. */
    public static final class Builder {
        private final PciConfigSpace config;
        private final DeviceGate gate = new DeviceGate();
        private final RegionMaker[] regions = new RegionMaker[RegionInfo.PCI_NUM_REGIONS];
        private final List<IrqInfo> irqs = new ArrayList<>();
        private Runnable softReset;

        private Builder(final PciConfigSpace config) {
            this.config = config;
        }

        /**
         * Adds a BAR of registers ({@link Region#registers}: trapped, frozen while the device is stopped).
         *
         * @param index the BAR index (0-5)
         * @param size the BAR size in bytes, as declared in the config space
         * @param handler the register logic
         * @return this builder
         * @throws IllegalArgumentException if the index is not a BAR or already has a region
         */
        public Builder registers(final int index, final long size, final RegionHandler handler) {
            return region(index, (i, g) -> Region.registers(i, size, handler, g));
        }

        /**
         * Adds a BAR made by {@code maker} once the gate exists (memory windows, regions with other flags).
         *
         * @param index the BAR index (0-5)
         * @param maker makes the region from its index and the function's gate
         * @return this builder
         * @throws IllegalArgumentException if the index is not a BAR or already has a region
         */
        public Builder region(final int index, final RegionMaker maker) {
            if (index < RegionInfo.PCI_BAR0 || index > RegionInfo.PCI_BAR5 || regions[index] != null) {
                throw new IllegalArgumentException("BAR " + index + " is not a free BAR index");
            }
            regions[index] = maker;
            return this;
        }

        /**
         * Adds the {@link #standardIrq standard} IRQ indexes from the next one up to {@code last}, so that
         * {@code irqs(IrqType.INTX)} gives INTx only and {@code irqs(IrqType.REQ)} all five.
         *
         * @param last the last index to add
         * @return this builder
         * @throws IllegalArgumentException if {@code last} is already present
         */
        public Builder irqs(final IrqType last) {
            if (last.index() < irqs.size()) {
                throw new IllegalArgumentException("IRQ index " + last + " is already present");
            }
            Arrays.stream(IrqType.values()).skip(irqs.size()).limit(last.index() - irqs.size() + 1L)
                    .forEach(t -> irqs.add(standardIrq(t)));
            return this;
        }

        /**
         * Adds the next IRQ index with its own info (e.g. INTx that is not automasked).
         *
         * @param info the info; its index must be the next one (IRQs are indexed by vfio-pci index)
         * @return this builder
         * @throws IllegalArgumentException if the index is not the next one
         */
        public Builder irq(final IrqInfo info) {
            if (info.type().index() != irqs.size()) {
                throw new IllegalArgumentException("IRQ index " + info.type() + " is not the next index "
                        + irqs.size());
            }
            irqs.add(info);
            return this;
        }

        /**
         * Runs {@code reset} when the guest soft-resets the function (PCI PM D3hot→D0), unless migration stopped it.
         *
         * @param reset resets the device's registers
         * @return this builder
         */
        public Builder onSoftReset(final Runnable reset) {
            this.softReset = reset;
            return this;
        }

        /** {@return the function: gate, DMA space, all regions and the IRQ indexes} */
        public PciFunction build() {
            return new PciFunction(this);
        }
    }
}
