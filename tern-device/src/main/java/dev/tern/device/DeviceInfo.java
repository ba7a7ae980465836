package dev.tern.device;

/**
 * What {@code VFIO_DEVICE_GET_INFO} reports ({@code struct vfio_device_info}, uAPI {@code vfio.h}).
 *
 * @param flags {@code VFIO_DEVICE_FLAGS_*} bits, e.g. {@link #FLAG_RESET} | {@link #FLAG_PCI}
 * @param numRegions number of region indexes
 * @param numIrqs number of IRQ indexes
 */
public record DeviceInfo(int flags, int numRegions, int numIrqs) {

    /** {@code VFIO_DEVICE_FLAGS_RESET}: the device supports VFIO_DEVICE_RESET. */
    public static final int FLAG_RESET = 1;
    /** {@code VFIO_DEVICE_FLAGS_PCI}: a vfio-pci device (config space at region 7, IRQ indexes INTx..REQ). */
    public static final int FLAG_PCI = 1 << 1;

    /** Validates the counts. */
    public DeviceInfo {
        if (numRegions < 0 || numIrqs < 0) {
            throw new IllegalArgumentException("negative region or IRQ count");
        }
    }
}
