package dev.tern.samples;

/**
 * PCI identities of Tern's sample devices. Vendor 0x7E27 is <b>not</b> assigned by the PCI-SIG; it is used only for
 * emulated devices that never meet real hardware. Class codes follow the PCI code and ID assignment specification.
 */
public final class SampleIds {

    /** Tern's private vendor id (unassigned; emulation only). */
    public static final int VENDOR = 0x7E27;
    /** The {@code uart} sample. */
    public static final int UART_DEVICE = 0x0001;
    /** The {@code dma-engine} sample. */
    public static final int DMA_ENGINE_DEVICE = 0x0002;
    /** Class 07/00/02: simple communication controller, serial, 16550-compatible (as mtty). */
    public static final int CLASS_SERIAL_16550 = 0x070002;
    /** Class 08/80/00: base system peripheral, other (a generic DMA engine). */
    public static final int CLASS_SYSTEM_OTHER = 0x088000;

    private SampleIds() {
    }
}
