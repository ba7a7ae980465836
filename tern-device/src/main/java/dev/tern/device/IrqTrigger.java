package dev.tern.device;

/**
 * How one interrupt vector reaches the VMM: the transport supplies it from the eventfd a VMM passed with
 * {@code VFIO_DEVICE_SET_IRQS} (or a vfio-user message), so device code never touches fds.
 */
@FunctionalInterface
public interface IrqTrigger {

    /**
     * Delivers one interrupt.
     *
     * @throws DeviceException if delivery failed (the eventfd was closed: EBADF)
     */
    void signal() throws DeviceException;
}
