package dev.tern.vfio;

/**
 * A kernel VFIO device as found in sysfs.
 *
 * @param input what the user typed (mdev UUID, PCI address, group number)
 * @param group the IOMMU group number ({@code /dev/vfio/N})
 * @param name the name {@code VFIO_GROUP_GET_DEVICE_FD} takes: the PCI address or mdev UUID
 * @param kind the device's kind for stream compatibility: {@code mdev:TYPE} (e.g. {@code mdev:mtty-2}) or
 *        {@code pci:VVVV:DDDD} (vendor:device)
 * @param driver the driver the device is bound to ({@code vfio-pci}, a variant, or the mdev parent's)
 */
public record VfioAddress(String input, int group, String name, String kind, String driver) {
}
