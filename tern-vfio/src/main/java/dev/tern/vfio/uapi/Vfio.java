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
    /**
     * {@code VFIO_GET_API_VERSION} (container): returns {@link #API_VERSION}; anything else is an incompatible kernel.
     */
    public static final long GET_API_VERSION = io(0);
    /**
     * {@code VFIO_CHECK_EXTENSION} (container): whether an IOMMU model such as {@link #TYPE1V2_IOMMU} is supported
     * (&gt; 0).
     */
    public static final long CHECK_EXTENSION = io(1);
    /** {@code VFIO_SET_IOMMU} (container): selects the IOMMU model once a group is attached. */
    public static final long SET_IOMMU = io(2);
    /**
     * {@code VFIO_IOMMU_MAP_DMA} (container): maps process memory at an IOVA ({@code struct vfio_iommu_type1_dma_map}).
     */
    public static final long IOMMU_MAP_DMA = io(13);
    /** {@code VFIO_IOMMU_UNMAP_DMA} (container): removes a mapping ({@code struct vfio_iommu_type1_dma_unmap}). */
    public static final long IOMMU_UNMAP_DMA = io(14);
    /** {@code VFIO_TYPE1v2_IOMMU}: the IOMMU model Tern asks for (mdev groups accept it, test-vm.md §3). */
    public static final int TYPE1V2_IOMMU = 3;
    /** {@code VFIO_DMA_MAP_FLAG_READ}: the device may read the mapping. */
    public static final int DMA_MAP_FLAG_READ = 1;
    /** {@code VFIO_DMA_MAP_FLAG_WRITE}: the device may write the mapping. */
    public static final int DMA_MAP_FLAG_WRITE = 1 << 1;

    // ---- group fd (/dev/vfio/N) ----
    /** {@code VFIO_GROUP_GET_STATUS} (group): the {@code GROUP_FLAGS_*} bits. */
    public static final long GROUP_GET_STATUS = io(3);
    /** {@code VFIO_GROUP_SET_CONTAINER} (group): attaches the group to a container fd. */
    public static final long GROUP_SET_CONTAINER = io(4);
    /** {@code VFIO_GROUP_UNSET_CONTAINER} (group): detaches it again. */
    public static final long GROUP_UNSET_CONTAINER = io(5);
    /** {@code VFIO_GROUP_GET_DEVICE_FD} (group): opens a device by name (PCI address or mdev UUID). */
    public static final long GROUP_GET_DEVICE_FD = io(6);
    /** {@code VFIO_GROUP_FLAGS_VIABLE}: every device of the group is bound to a VFIO driver (or none). */
    public static final int GROUP_FLAGS_VIABLE = 1;
    /** {@code VFIO_GROUP_FLAGS_CONTAINER_SET}: the group is attached to a container. */
    public static final int GROUP_FLAGS_CONTAINER_SET = 1 << 1;

    // ---- device fd ----
    /** {@code VFIO_DEVICE_GET_INFO} (device): flags and region/IRQ counts ({@code struct vfio_device_info}). */
    public static final long DEVICE_GET_INFO = io(7);
    /** {@code VFIO_DEVICE_GET_REGION_INFO} (device): one region's size, offset, flags and capability chain. */
    public static final long DEVICE_GET_REGION_INFO = io(8);
    /** {@code VFIO_DEVICE_GET_IRQ_INFO} (device): one IRQ index's count and flags. */
    public static final long DEVICE_GET_IRQ_INFO = io(9);
    /** {@code VFIO_DEVICE_SET_IRQS} (device): installs eventfds on, triggers, masks or unmasks IRQ vectors. */
    public static final long DEVICE_SET_IRQS = io(10);
    /** {@code VFIO_DEVICE_RESET} (device): function reset; a migration driver returns to RUNNING with a fresh state. */
    public static final long DEVICE_RESET = io(11);
    /** {@code VFIO_DEVICE_FEATURE}; the same number as the container's IOMMU_DIRTY_PAGES (other fd). */
    public static final long DEVICE_FEATURE = io(17);
    /** On the migration data fd; the same number as VFIO_EEH_PE_OP (other fd), §2.9. */
    public static final long MIG_GET_PRECOPY_INFO = io(21);

    /** {@code VFIO_DEVICE_FLAGS_RESET}: the device supports {@link #DEVICE_RESET}. */
    public static final int DEVICE_FLAGS_RESET = 1;
    /** {@code VFIO_DEVICE_FLAGS_PCI}: a PCI device (vfio-pci region and IRQ indexes apply). */
    public static final int DEVICE_FLAGS_PCI = 1 << 1;
    /** {@code VFIO_REGION_INFO_FLAG_READ}: the region may be read. */
    public static final int REGION_INFO_FLAG_READ = 1;
    /** {@code VFIO_REGION_INFO_FLAG_WRITE}: the region may be written. */
    public static final int REGION_INFO_FLAG_WRITE = 1 << 1;
    /** {@code VFIO_REGION_INFO_FLAG_MMAP}: the region (or its sparse areas) may be mmapped. */
    public static final int REGION_INFO_FLAG_MMAP = 1 << 2;
    /** {@code VFIO_REGION_INFO_FLAG_CAPS}: {@code cap_offset} points to a capability chain. */
    public static final int REGION_INFO_FLAG_CAPS = 1 << 3;
    /** {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP}: capability listing the mmappable areas. */
    public static final int REGION_INFO_CAP_SPARSE_MMAP = 1;
    /** {@code VFIO_REGION_INFO_CAP_TYPE}: capability giving a device-specific region's type and subtype. */
    public static final int REGION_INFO_CAP_TYPE = 2;
    /** {@code VFIO_IRQ_INFO_EVENTFD}: the index signals through eventfds. */
    public static final int IRQ_INFO_EVENTFD = 1;
    /** {@code VFIO_IRQ_SET_DATA_NONE}: no data, the action applies to the vectors given. */
    public static final int IRQ_SET_DATA_NONE = 1;
    /** {@code VFIO_IRQ_SET_DATA_BOOL}: one byte per vector selects it. */
    public static final int IRQ_SET_DATA_BOOL = 1 << 1;
    /** {@code VFIO_IRQ_SET_DATA_EVENTFD}: one eventfd per vector (-1 removes it). */
    public static final int IRQ_SET_DATA_EVENTFD = 1 << 2;
    /** {@code VFIO_IRQ_SET_ACTION_MASK}: mask the vectors. */
    public static final int IRQ_SET_ACTION_MASK = 1 << 3;
    /** {@code VFIO_IRQ_SET_ACTION_UNMASK}: unmask the vectors. */
    public static final int IRQ_SET_ACTION_UNMASK = 1 << 4;
    /** {@code VFIO_IRQ_SET_ACTION_TRIGGER}: install triggers, or fire the vectors. */
    public static final int IRQ_SET_ACTION_TRIGGER = 1 << 5;
    /** vfio-pci: region offsets on the device fd are {@code index << 40} (mtty too, §3). */
    public static final int PCI_OFFSET_SHIFT = 40;

    // ---- VFIO_DEVICE_FEATURE (§2.2) ----
    /** {@code VFIO_DEVICE_FEATURE_MASK}: the feature index bits of {@code vfio_device_feature.flags}. */
    public static final int FEATURE_MASK = 0xffff;
    /** {@code VFIO_DEVICE_FEATURE_GET}: read the feature's data. */
    public static final int FEATURE_GET = 1 << 16;
    /** {@code VFIO_DEVICE_FEATURE_SET}: write the feature's data. */
    public static final int FEATURE_SET = 1 << 17;
    /** {@code VFIO_DEVICE_FEATURE_PROBE}: only ask whether GET/SET is supported (0 or an errno). */
    public static final int FEATURE_PROBE = 1 << 18;
    /** {@code VFIO_DEVICE_FEATURE_MIGRATION}: GET returns the migration flags (STOP_COPY, P2P, PRE_COPY). */
    public static final int FEATURE_MIGRATION = 1;
    /** {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}: GET the state, SET a new one (returns the data fd). */
    public static final int FEATURE_MIG_DEVICE_STATE = 2;
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}: SET starts dirty tracking of the given IOVA ranges. */
    public static final int FEATURE_DMA_LOGGING_START = 6;
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP}: SET stops dirty tracking. */
    public static final int FEATURE_DMA_LOGGING_STOP = 7;
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}: GET reads and clears the dirty bitmap of a range. */
    public static final int FEATURE_DMA_LOGGING_REPORT = 8;
    /** {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE}: GET estimates the bytes a stop-copy would carry now. */
    public static final int FEATURE_MIG_DATA_SIZE = 9;
    /** MIG_PRECOPY_INFOv2 with REINIT (7.1+, issue 11); older kernels answer ENOTTY (≥ 6.18) or EINVAL. */
    public static final int FEATURE_MIG_PRECOPY_INFOV2 = 12;
    /** {@code VFIO_PRECOPY_INFO_REINIT}, bit 0 of {@code vfio_precopy_info.flags}: new initial data appeared. */
    public static final long PRECOPY_INFO_REINIT = 1;

    private static long io(final int n) {
        return (';' << 8) | (100 + n);
    }
}
