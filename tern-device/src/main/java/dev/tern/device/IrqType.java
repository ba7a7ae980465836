package dev.tern.device;

/**
 * The vfio-pci IRQ indexes ({@code VFIO_PCI_*_IRQ_INDEX}, uAPI {@code vfio.h}); the ordinal is the index.
 */
public enum IrqType {
    /** Legacy level-triggered INTx (index 0). */
    INTX,
    /** MSI (index 1). */
    MSI,
    /** MSI-X (index 2). */
    MSIX,
    /** Error notification (index 3): the device signals an unrecoverable error. */
    ERR,
    /** Device request (index 4): the host asks the user to release the device. */
    REQ;

    /** {@return the vfio-pci IRQ index} */
    public int index() {
        return ordinal();
    }
}
