package dev.tern.device;

import java.util.List;

/**
 * A device that is one {@link PciFunction}: regions, IRQs, DMA space and gate are the function's, so a device
 * implements only {@link #function()} and its own behaviour. An interface with default getters rather than an
 * abstract base class so that a device can also implement {@code MigratableDevice} or {@code PagedDevice} and build
 * its function in its own constructor, after the fields its region handlers use.
 */
public interface PciDevice extends Device {

    /** {@return the PCI function the device answers its getters from} */
    PciFunction function();

    /** {@return the function's regions, indexed by region index} */
    @Override
    default List<Region> regions() {
        return function().regions();
    }

    /** {@return the function's IRQ indexes, indexed by vfio-pci IRQ index} */
    @Override
    default List<Irq> irqs() {
        return function().irqs();
    }

    /** {@return the function's view of guest memory} */
    @Override
    default DmaSpace dma() {
        return function().dma();
    }

    /** {@return the function's gate} */
    @Override
    default DeviceGate gate() {
        return function().gate();
    }
}
