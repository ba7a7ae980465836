package dev.tern.vfio.uapi;

/**
 * The numbers of the VFIO uAPI ({@code include/uapi/linux/vfio.h}): ioctl requests, flag bits, feature indexes.
 * Every VFIO ioctl is {@code _IO(';', 100 + n)}, no size or direction bits (vfio-migration.md §2.1); the values were
 * compiled with gcc against the host's {@code linux/vfio.h} and are pinned by {@code VfioLayoutsTest}.
 */
public final class Vfio {
    private Vfio() {
    }

    /** {@code VFIO_API_VERSION}: what {@link #GET_API_VERSION} returns on every kernel since 3.6. */
    public static final int API_VERSION = 0;

    // ---- container fd (/dev/vfio/vfio) ----
    public static final long GET_API_VERSION = io(0);
    public static final long CHECK_EXTENSION = io(1);
    public static final long SET_IOMMU = io(2);
    public static final long IOMMU_MAP_DMA = io(13);
    public static final long IOMMU_UNMAP_DMA = io(14);
    /** {@code VFIO_TYPE1v2_IOMMU}: the IOMMU model Tern asks for (mdev groups accept it, test-vm.md §3). */
    public static final int TYPE1V2_IOMMU = 3;
    public static final int DMA_MAP_FLAG_READ = 1;
    public static final int DMA_MAP_FLAG_WRITE = 1 << 1;

    // ---- group fd (/dev/vfio/N) ----
    public static final long GROUP_GET_STATUS = io(3);
    public static final long GROUP_SET_CONTAINER = io(4);
    public static final long GROUP_UNSET_CONTAINER = io(5);
    public static final long GROUP_GET_DEVICE_FD = io(6);
    public static final int GROUP_FLAGS_VIABLE = 1;
    public static final int GROUP_FLAGS_CONTAINER_SET = 1 << 1;

    // ---- device fd ----
    public static final long DEVICE_GET_INFO = io(7);
    public static final long DEVICE_GET_REGION_INFO = io(8);
    public static final long DEVICE_GET_IRQ_INFO = io(9);
    public static final long DEVICE_SET_IRQS = io(10);
    public static final long DEVICE_RESET = io(11);
    /** {@code VFIO_DEVICE_FEATURE}; the same number as the container's IOMMU_DIRTY_PAGES (other fd). */
    public static final long DEVICE_FEATURE = io(17);
    /** On the migration data fd; the same number as VFIO_EEH_PE_OP (other fd), §2.9. */
    public static final long MIG_GET_PRECOPY_INFO = io(21);

    public static final int DEVICE_FLAGS_RESET = 1;
    public static final int DEVICE_FLAGS_PCI = 1 << 1;
    public static final int REGION_INFO_FLAG_READ = 1;
    public static final int REGION_INFO_FLAG_WRITE = 1 << 1;
    public static final int REGION_INFO_FLAG_MMAP = 1 << 2;
    public static final int REGION_INFO_FLAG_CAPS = 1 << 3;
    public static final int REGION_INFO_CAP_SPARSE_MMAP = 1;
    public static final int REGION_INFO_CAP_TYPE = 2;
    public static final int IRQ_INFO_EVENTFD = 1;
    public static final int IRQ_SET_DATA_NONE = 1;
    public static final int IRQ_SET_DATA_BOOL = 1 << 1;
    public static final int IRQ_SET_DATA_EVENTFD = 1 << 2;
    public static final int IRQ_SET_ACTION_MASK = 1 << 3;
    public static final int IRQ_SET_ACTION_UNMASK = 1 << 4;
    public static final int IRQ_SET_ACTION_TRIGGER = 1 << 5;
    /** vfio-pci: region offsets on the device fd are {@code index << 40} (mtty too, §3). */
    public static final int PCI_OFFSET_SHIFT = 40;

    // ---- VFIO_DEVICE_FEATURE (§2.2) ----
    public static final int FEATURE_MASK = 0xffff;
    public static final int FEATURE_GET = 1 << 16;
    public static final int FEATURE_SET = 1 << 17;
    public static final int FEATURE_PROBE = 1 << 18;
    public static final int FEATURE_MIGRATION = 1;
    public static final int FEATURE_MIG_DEVICE_STATE = 2;
    public static final int FEATURE_DMA_LOGGING_START = 6;
    public static final int FEATURE_DMA_LOGGING_STOP = 7;
    public static final int FEATURE_DMA_LOGGING_REPORT = 8;
    public static final int FEATURE_MIG_DATA_SIZE = 9;
    /** MIG_PRECOPY_INFOv2 with REINIT (7.1+, issue 11); older kernels answer ENOTTY (≥ 6.18) or EINVAL. */
    public static final int FEATURE_MIG_PRECOPY_INFOV2 = 12;
    /** {@code VFIO_PRECOPY_INFO_REINIT}, bit 0 of {@code vfio_precopy_info.flags}: new initial data appeared. */
    public static final long PRECOPY_INFO_REINIT = 1;

    private static long io(final int n) {
        return (';' << 8) | (100 + n);
    }
}
