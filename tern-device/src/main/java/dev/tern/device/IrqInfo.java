package dev.tern.device;

/**
 * What {@code VFIO_DEVICE_GET_IRQ_INFO} reports for one IRQ index ({@code struct vfio_irq_info}).
 *
 * @param type the index
 * @param count number of vectors (0 if the device has none of this type)
 * @param flags {@code VFIO_IRQ_INFO_*} bits
 */
public record IrqInfo(IrqType type, int count, int flags) {

    /** {@code VFIO_IRQ_INFO_EVENTFD}: vectors are signalled through eventfds. */
    public static final int FLAG_EVENTFD = 1;
    /** {@code VFIO_IRQ_INFO_MASKABLE}. */
    public static final int FLAG_MASKABLE = 1 << 1;
    /** {@code VFIO_IRQ_INFO_AUTOMASKED}: INTx is masked on delivery until unmasked. */
    public static final int FLAG_AUTOMASKED = 1 << 2;
    /** {@code VFIO_IRQ_INFO_NORESIZE}. */
    public static final int FLAG_NORESIZE = 1 << 3;

    /** Validates the count. */
    public IrqInfo {
        if (count < 0) {
            throw new IllegalArgumentException("negative IRQ count");
        }
    }
}
