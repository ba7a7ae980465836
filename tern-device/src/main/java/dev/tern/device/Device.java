package dev.tern.device;

import java.util.List;

/**
 * A device as a VMM sees it, in the VFIO uAPI's vocabulary: info, regions, IRQs, reset, and the DMA space through
 * which it reaches guest memory.
 *
 * <p>Region {@code i} of {@link #regions()} has index {@code i} (absent indexes have size 0), IRQ {@code i} of
 * {@link #irqs()} has the vfio-pci index {@code i}. A device that migrates also implements
 * {@code dev.tern.device.migration.MigrationHooks}; transports then drive its state only through a
 * {@code MigrationEngine}, which also performs {@link #reset()} (VFIO_DEVICE_RESET) so that the migration state
 * returns to RUNNING with it.
 */
public interface Device extends AutoCloseable {

    /** {@return the device kind, e.g. {@code uart}; part of the migration stream's compatibility check} */
    String kind();

    /** {@return flags and counts for {@code VFIO_DEVICE_GET_INFO}} */
    default DeviceInfo info() {
        return new DeviceInfo(DeviceInfo.FLAG_RESET | DeviceInfo.FLAG_PCI, regions().size(), irqs().size());
    }

    /** {@return the regions, indexed by region index} */
    List<Region> regions();

    /** {@return the IRQ indexes, indexed by vfio-pci IRQ index} */
    List<Irq> irqs();

    /** {@return the device's view of guest memory} */
    DmaSpace dma();

    /** {@return what the device may do now; set by the migration engine} */
    DeviceGate gate();

    /**
     * Resets the device to its power-on register state and leaves it operating (RUNNING).
     *
     * @throws DeviceException if the device could not be reset
     */
    void reset() throws DeviceException;

    /** Stops device threads and releases memory. */
    @Override
    void close();
}
