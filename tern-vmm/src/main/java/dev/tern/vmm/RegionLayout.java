package dev.tern.vmm;

/**
 * One region of a device as the compatibility handshake compares it: a destination device must expose the same
 * regions (index, size, flags) as the source's, or the guest's view of the device would change under it.
 *
 * @param index the region index (VFIO_PCI_*_REGION_INDEX numbering)
 * @param size the region size in bytes
 * @param flags VFIO_REGION_INFO_FLAG_* bits (read, write, mmap)
 */
public record RegionLayout(int index, long size, int flags) {
}
