package dev.tern.device;

/**
 * What {@code VFIO_DEVICE_GET_REGION_INFO} reports for one region ({@code struct vfio_region_info}).
 *
 * @param index the region index (vfio-pci: BAR0..5 = 0..5, ROM = 6, config = 7, VGA = 8)
 * @param size size in bytes (0 for an absent region)
 * @param flags {@link #FLAG_READ}, {@link #FLAG_WRITE}, {@link #FLAG_MMAP} bits
 */
public record RegionInfo(int index, long size, int flags) {

    /** {@code VFIO_REGION_INFO_FLAG_READ}. */
    public static final int FLAG_READ = 1;
    /** {@code VFIO_REGION_INFO_FLAG_WRITE}. */
    public static final int FLAG_WRITE = 1 << 1;
    /** {@code VFIO_REGION_INFO_FLAG_MMAP}: the region may be mapped through its backing fd. */
    public static final int FLAG_MMAP = 1 << 2;

    /** vfio-pci index of BAR0 ({@code VFIO_PCI_BAR0_REGION_INDEX}). */
    public static final int PCI_BAR0 = 0;
    /** vfio-pci index of BAR5, the last BAR ({@code VFIO_PCI_BAR5_REGION_INDEX}). */
    public static final int PCI_BAR5 = 5;
    /** vfio-pci index of the PCI config space ({@code VFIO_PCI_CONFIG_REGION_INDEX}). */
    public static final int PCI_CONFIG = 7;
    /** Number of vfio-pci region indexes ({@code VFIO_PCI_NUM_REGIONS}). */
    public static final int PCI_NUM_REGIONS = 9;

    /** Validates the fields. */
    public RegionInfo {
        if (index < 0 || size < 0) {
            throw new IllegalArgumentException("negative region index or size");
        }
        if ((flags & ~(FLAG_READ | FLAG_WRITE | FLAG_MMAP)) != 0) {
            throw new IllegalArgumentException("unknown region flags 0x" + Integer.toHexString(flags));
        }
    }

    /** {@return true if the VMM may read the region} */
    public boolean readable() {
        return (flags & FLAG_READ) != 0;
    }

    /** {@return true if the VMM may write the region} */
    public boolean writable() {
        return (flags & FLAG_WRITE) != 0;
    }

    /** {@return true if the region can be mapped through a shared-memory fd} */
    public boolean mmappable() {
        return (flags & FLAG_MMAP) != 0;
    }
}
