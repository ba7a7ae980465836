package dev.tern.vfio.uapi;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * Every VFIO struct Tern passes to the kernel, laid out once for x86-64 (vfio-migration.md §2.12, and gcc against
 * the host's {@code linux/vfio.h} for the container/group/device structs). Offsets are {@code long} constants for
 * {@code MemorySegment.get/set(layout, offset)}; {@code VfioLayoutsTest} pins each size and offset to the C value.
 * Variable tails ({@code data[]}, capability chains) follow the fixed part and are sized by the caller.
 */
public final class VfioLayouts {
    private VfioLayouts() {
    }

    /** {@code struct vfio_group_status} (8). */
    public static final StructLayout GROUP_STATUS = struct("vfio_group_status", u32("argsz"), u32("flags"));

    /** {@code struct vfio_device_info} (20 in 6.1; newer headers add a pad word, so argsz is passed larger). */
    public static final StructLayout DEVICE_INFO = struct("vfio_device_info", u32("argsz"), u32("flags"),
            u32("num_regions"), u32("num_irqs"), u32("cap_offset"));
    /** Offset of {@code vfio_device_info.flags}: the {@code Vfio.DEVICE_FLAGS_*} bits. */
    public static final long DEVICE_INFO_FLAGS = offset(DEVICE_INFO, "flags");
    /** Offset of {@code vfio_device_info.num_regions}: region indexes 0..n-1. */
    public static final long DEVICE_INFO_NUM_REGIONS = offset(DEVICE_INFO, "num_regions");
    /** Offset of {@code vfio_device_info.num_irqs}: IRQ indexes 0..n-1. */
    public static final long DEVICE_INFO_NUM_IRQS = offset(DEVICE_INFO, "num_irqs");

    /** {@code struct vfio_region_info} (32); a capability chain may follow when {@code FLAG_CAPS} is set. */
    public static final StructLayout REGION_INFO = struct("vfio_region_info", u32("argsz"), u32("flags"),
            u32("index"), u32("cap_offset"), u64("size"), u64("offset"));
    /** Offset of {@code vfio_region_info.flags}: the {@code Vfio.REGION_INFO_FLAG_*} bits. */
    public static final long REGION_INFO_FLAGS = offset(REGION_INFO, "flags");
    /** Offset of {@code vfio_region_info.index}: the region asked about. */
    public static final long REGION_INFO_INDEX = offset(REGION_INFO, "index");
    /** Offset of {@code vfio_region_info.cap_offset}: the first capability, from the struct's start (0: none). */
    public static final long REGION_INFO_CAP_OFFSET = offset(REGION_INFO, "cap_offset");
    /** Offset of {@code vfio_region_info.size}: the region's size in bytes. */
    public static final long REGION_INFO_SIZE = offset(REGION_INFO, "size");
    /** Offset of {@code vfio_region_info.offset}: where the region starts on the device fd (pread/pwrite/mmap). */
    public static final long REGION_INFO_OFFSET = offset(REGION_INFO, "offset");

    /** {@code struct vfio_info_cap_header} (8): {@code next} is an offset from the start of the info struct. */
    public static final StructLayout CAP_HEADER = struct("vfio_info_cap_header", JAVA_SHORT.withName("id"),
            JAVA_SHORT.withName("version"), u32("next"));
    /** Offset of {@code vfio_info_cap_header.id}: the capability's type ({@code Vfio.REGION_INFO_CAP_*}). */
    public static final long CAP_ID = offset(CAP_HEADER, "id");
    /** Offset of {@code vfio_info_cap_header.version}. */
    public static final long CAP_VERSION = offset(CAP_HEADER, "version");
    /** Offset of {@code vfio_info_cap_header.next}: the next capability from the info struct's start (0: last). */
    public static final long CAP_NEXT = offset(CAP_HEADER, "next");

    /** {@code struct vfio_region_info_cap_type} (16). */
    public static final StructLayout CAP_TYPE = struct("vfio_region_info_cap_type", CAP_HEADER.withName("header"),
            u32("type"), u32("subtype"));
    /** Offset of {@code vfio_region_info_cap_type.type}: the device-specific region type. */
    public static final long CAP_TYPE_TYPE = offset(CAP_TYPE, "type");
    /** Offset of {@code vfio_region_info_cap_type.subtype}. */
    public static final long CAP_TYPE_SUBTYPE = offset(CAP_TYPE, "subtype");

    /** {@code struct vfio_region_info_cap_sparse_mmap} (16), then {@code nr_areas} areas. */
    public static final StructLayout CAP_SPARSE_MMAP = struct("vfio_region_info_cap_sparse_mmap",
            CAP_HEADER.withName("header"), u32("nr_areas"), u32("reserved"));
    /** Offset of {@code vfio_region_info_cap_sparse_mmap.nr_areas}: how many {@link #SPARSE_AREA}s follow. */
    public static final long CAP_SPARSE_NR_AREAS = offset(CAP_SPARSE_MMAP, "nr_areas");

    /** {@code struct vfio_region_sparse_mmap_area} (16). */
    public static final StructLayout SPARSE_AREA = struct("vfio_region_sparse_mmap_area", u64("offset"),
            u64("size"));
    /** Offset of {@code vfio_region_sparse_mmap_area.offset}: the area's start within the region. */
    public static final long SPARSE_AREA_OFFSET = offset(SPARSE_AREA, "offset");
    /** Offset of {@code vfio_region_sparse_mmap_area.size}: the area's length. */
    public static final long SPARSE_AREA_SIZE = offset(SPARSE_AREA, "size");

    /** {@code struct vfio_irq_info} (16). */
    public static final StructLayout IRQ_INFO = struct("vfio_irq_info", u32("argsz"), u32("flags"), u32("index"),
            u32("count"));
    /** Offset of {@code vfio_irq_info.flags}: the {@code VFIO_IRQ_INFO_*} bits. */
    public static final long IRQ_INFO_FLAGS = offset(IRQ_INFO, "flags");
    /** Offset of {@code vfio_irq_info.index}: the IRQ index asked about. */
    public static final long IRQ_INFO_INDEX = offset(IRQ_INFO, "index");
    /** Offset of {@code vfio_irq_info.count}: vectors in that index. */
    public static final long IRQ_INFO_COUNT = offset(IRQ_INFO, "count");

    /** {@code struct vfio_irq_set} (20), then {@code count} s32 eventfds for {@code DATA_EVENTFD}. */
    public static final StructLayout IRQ_SET = struct("vfio_irq_set", u32("argsz"), u32("flags"), u32("index"),
            u32("start"), u32("count"));
    /** Offset of {@code vfio_irq_set.flags}: one {@code DATA_*} and one {@code ACTION_*} bit. */
    public static final long IRQ_SET_FLAGS = offset(IRQ_SET, "flags");
    /** Offset of {@code vfio_irq_set.index}: the IRQ index. */
    public static final long IRQ_SET_INDEX = offset(IRQ_SET, "index");
    /** Offset of {@code vfio_irq_set.start}: the first vector. */
    public static final long IRQ_SET_START = offset(IRQ_SET, "start");
    /** Offset of {@code vfio_irq_set.count}: vectors from {@code start} (0 with DATA_NONE and TRIGGER removes all). */
    public static final long IRQ_SET_COUNT = offset(IRQ_SET, "count");

    /** {@code struct vfio_iommu_type1_dma_map} (32). */
    public static final StructLayout DMA_MAP = struct("vfio_iommu_type1_dma_map", u32("argsz"), u32("flags"),
            u64("vaddr"), u64("iova"), u64("size"));
    /** Offset of {@code vfio_iommu_type1_dma_map.flags}: {@code Vfio.DMA_MAP_FLAG_READ}/{@code WRITE}. */
    public static final long DMA_MAP_FLAGS = offset(DMA_MAP, "flags");
    /** Offset of {@code vfio_iommu_type1_dma_map.vaddr}: the process address of the memory. */
    public static final long DMA_MAP_VADDR = offset(DMA_MAP, "vaddr");
    /** Offset of {@code vfio_iommu_type1_dma_map.iova}: the address the device uses. */
    public static final long DMA_MAP_IOVA = offset(DMA_MAP, "iova");
    /** Offset of {@code vfio_iommu_type1_dma_map.size}: the mapping's length. */
    public static final long DMA_MAP_SIZE = offset(DMA_MAP, "size");

    /** {@code struct vfio_iommu_type1_dma_unmap} (24). */
    public static final StructLayout DMA_UNMAP = struct("vfio_iommu_type1_dma_unmap", u32("argsz"), u32("flags"),
            u64("iova"), u64("size"));
    /** Offset of {@code vfio_iommu_type1_dma_unmap.iova}: the start of the range to unmap. */
    public static final long DMA_UNMAP_IOVA = offset(DMA_UNMAP, "iova");
    /**
     * Offset of {@code vfio_iommu_type1_dma_unmap.size}: the range's length; the kernel writes back what it unmapped.
     */
    public static final long DMA_UNMAP_SIZE = offset(DMA_UNMAP, "size");

    /** {@code struct vfio_device_feature} (8), then the feature's payload at {@link #FEATURE_DATA}. */
    public static final StructLayout FEATURE = struct("vfio_device_feature", u32("argsz"), u32("flags"));
    /** Offset of {@code vfio_device_feature.flags}: feature index and {@code GET}/{@code SET}/{@code PROBE}. */
    public static final long FEATURE_FLAGS = offset(FEATURE, "flags");
    /** Offset of the feature's payload ({@code vfio_device_feature.data[]}). */
    public static final long FEATURE_DATA = FEATURE.byteSize();

    /** {@code struct vfio_device_feature_migration} (8). */
    public static final StructLayout MIGRATION = struct("vfio_device_feature_migration", u64("flags"));

    /** {@code struct vfio_device_feature_mig_state} (8). */
    public static final StructLayout MIG_STATE = struct("vfio_device_feature_mig_state", u32("device_state"),
            u32("data_fd"));
    /** Offset of {@code vfio_device_feature_mig_state.device_state}: the {@code enum vfio_device_mig_state} value. */
    public static final long MIG_STATE_DEVICE_STATE = offset(MIG_STATE, "device_state");
    /**
     * Offset of {@code vfio_device_feature_mig_state.data_fd}: the new data fd after an arc that opens a session, else
     * -1.
     */
    public static final long MIG_STATE_DATA_FD = offset(MIG_STATE, "data_fd");

    /** {@code struct vfio_device_feature_mig_data_size} (8). */
    public static final StructLayout MIG_DATA_SIZE = struct("vfio_device_feature_mig_data_size",
            u64("stop_copy_length"));

    /** {@code struct vfio_precopy_info} (24), the argument of {@code VFIO_MIG_GET_PRECOPY_INFO} on the data fd. */
    public static final StructLayout PRECOPY_INFO = struct("vfio_precopy_info", u32("argsz"), u32("flags"),
            u64("initial_bytes"), u64("dirty_bytes"));
    /** Offset of {@code vfio_precopy_info.initial_bytes}: initial data still to read. */
    public static final long PRECOPY_INITIAL_BYTES = offset(PRECOPY_INFO, "initial_bytes");
    /** Offset of {@code vfio_precopy_info.dirty_bytes}: an estimate of the changed data still to read. */
    public static final long PRECOPY_DIRTY_BYTES = offset(PRECOPY_INFO, "dirty_bytes");
    /** Offset of {@code flags} ({@link Vfio#PRECOPY_INFO_REINIT} once opted in to MIG_PRECOPY_INFOv2). */
    public static final long PRECOPY_FLAGS = offset(PRECOPY_INFO, "flags");

    /** {@code struct vfio_device_feature_dma_logging_control} (24). */
    public static final StructLayout LOGGING_CONTROL = struct("vfio_device_feature_dma_logging_control",
            u64("page_size"), u32("num_ranges"), u32("reserved"), u64("ranges"));
    /** Offset of {@code dma_logging_control.page_size}: the tracking granule (a power of two). */
    public static final long LOGGING_CONTROL_PAGE_SIZE = offset(LOGGING_CONTROL, "page_size");
    /** Offset of {@code dma_logging_control.num_ranges}: entries at {@code ranges}. */
    public static final long LOGGING_CONTROL_NUM_RANGES = offset(LOGGING_CONTROL, "num_ranges");
    /** Offset of {@code dma_logging_control.ranges}: the user address of the {@link #LOGGING_RANGE} array. */
    public static final long LOGGING_CONTROL_RANGES = offset(LOGGING_CONTROL, "ranges");

    /** {@code struct vfio_device_feature_dma_logging_range} (16). */
    public static final StructLayout LOGGING_RANGE = struct("vfio_device_feature_dma_logging_range", u64("iova"),
            u64("length"));
    /** Offset of {@code dma_logging_range.iova}: the start of a tracked range. */
    public static final long LOGGING_RANGE_IOVA = offset(LOGGING_RANGE, "iova");
    /** Offset of {@code dma_logging_range.length}: its length. */
    public static final long LOGGING_RANGE_LENGTH = offset(LOGGING_RANGE, "length");

    /** {@code struct vfio_device_feature_dma_logging_report} (32). */
    public static final StructLayout LOGGING_REPORT = struct("vfio_device_feature_dma_logging_report",
            u64("iova"), u64("length"), u64("page_size"), u64("bitmap"));
    /** Offset of {@code dma_logging_report.iova}: the start of the range reported. */
    public static final long LOGGING_REPORT_IOVA = offset(LOGGING_REPORT, "iova");
    /** Offset of {@code dma_logging_report.length}: its length. */
    public static final long LOGGING_REPORT_LENGTH = offset(LOGGING_REPORT, "length");
    /** Offset of {@code dma_logging_report.page_size}: the granule of one bitmap bit. */
    public static final long LOGGING_REPORT_PAGE_SIZE = offset(LOGGING_REPORT, "page_size");
    /**
     * Offset of {@code dma_logging_report.bitmap}: the user address the kernel writes the dirty bitmap to (and clears).
     */
    public static final long LOGGING_REPORT_BITMAP = offset(LOGGING_REPORT, "bitmap");

    private static StructLayout struct(final String name, final MemoryLayout... fields) {
        return MemoryLayout.structLayout(fields).withName(name);
    }

    private static MemoryLayout u32(final String name) {
        return JAVA_INT.withName(name);
    }

    private static MemoryLayout u64(final String name) {
        return JAVA_LONG.withName(name);
    }

    private static long offset(final StructLayout layout, final String field) {
        return layout.byteOffset(groupElement(field));
    }
}
