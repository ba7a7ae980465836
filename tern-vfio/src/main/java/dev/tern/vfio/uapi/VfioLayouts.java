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
    public static final long DEVICE_INFO_FLAGS = offset(DEVICE_INFO, "flags");
    public static final long DEVICE_INFO_NUM_REGIONS = offset(DEVICE_INFO, "num_regions");
    public static final long DEVICE_INFO_NUM_IRQS = offset(DEVICE_INFO, "num_irqs");

    /** {@code struct vfio_region_info} (32); a capability chain may follow when {@code FLAG_CAPS} is set. */
    public static final StructLayout REGION_INFO = struct("vfio_region_info", u32("argsz"), u32("flags"),
            u32("index"), u32("cap_offset"), u64("size"), u64("offset"));
    public static final long REGION_INFO_FLAGS = offset(REGION_INFO, "flags");
    public static final long REGION_INFO_INDEX = offset(REGION_INFO, "index");
    public static final long REGION_INFO_CAP_OFFSET = offset(REGION_INFO, "cap_offset");
    public static final long REGION_INFO_SIZE = offset(REGION_INFO, "size");
    public static final long REGION_INFO_OFFSET = offset(REGION_INFO, "offset");

    /** {@code struct vfio_info_cap_header} (8): {@code next} is an offset from the start of the info struct. */
    public static final StructLayout CAP_HEADER = struct("vfio_info_cap_header", JAVA_SHORT.withName("id"),
            JAVA_SHORT.withName("version"), u32("next"));
    public static final long CAP_ID = offset(CAP_HEADER, "id");
    public static final long CAP_VERSION = offset(CAP_HEADER, "version");
    public static final long CAP_NEXT = offset(CAP_HEADER, "next");

    /** {@code struct vfio_region_info_cap_type} (16). */
    public static final StructLayout CAP_TYPE = struct("vfio_region_info_cap_type", CAP_HEADER.withName("header"),
            u32("type"), u32("subtype"));
    public static final long CAP_TYPE_TYPE = offset(CAP_TYPE, "type");
    public static final long CAP_TYPE_SUBTYPE = offset(CAP_TYPE, "subtype");

    /** {@code struct vfio_region_info_cap_sparse_mmap} (16), then {@code nr_areas} areas. */
    public static final StructLayout CAP_SPARSE_MMAP = struct("vfio_region_info_cap_sparse_mmap",
            CAP_HEADER.withName("header"), u32("nr_areas"), u32("reserved"));
    public static final long CAP_SPARSE_NR_AREAS = offset(CAP_SPARSE_MMAP, "nr_areas");

    /** {@code struct vfio_region_sparse_mmap_area} (16). */
    public static final StructLayout SPARSE_AREA = struct("vfio_region_sparse_mmap_area", u64("offset"),
            u64("size"));
    public static final long SPARSE_AREA_OFFSET = offset(SPARSE_AREA, "offset");
    public static final long SPARSE_AREA_SIZE = offset(SPARSE_AREA, "size");

    /** {@code struct vfio_irq_info} (16). */
    public static final StructLayout IRQ_INFO = struct("vfio_irq_info", u32("argsz"), u32("flags"), u32("index"),
            u32("count"));
    public static final long IRQ_INFO_FLAGS = offset(IRQ_INFO, "flags");
    public static final long IRQ_INFO_INDEX = offset(IRQ_INFO, "index");
    public static final long IRQ_INFO_COUNT = offset(IRQ_INFO, "count");

    /** {@code struct vfio_irq_set} (20), then {@code count} s32 eventfds for {@code DATA_EVENTFD}. */
    public static final StructLayout IRQ_SET = struct("vfio_irq_set", u32("argsz"), u32("flags"), u32("index"),
            u32("start"), u32("count"));
    public static final long IRQ_SET_FLAGS = offset(IRQ_SET, "flags");
    public static final long IRQ_SET_INDEX = offset(IRQ_SET, "index");
    public static final long IRQ_SET_START = offset(IRQ_SET, "start");
    public static final long IRQ_SET_COUNT = offset(IRQ_SET, "count");

    /** {@code struct vfio_iommu_type1_dma_map} (32). */
    public static final StructLayout DMA_MAP = struct("vfio_iommu_type1_dma_map", u32("argsz"), u32("flags"),
            u64("vaddr"), u64("iova"), u64("size"));
    public static final long DMA_MAP_FLAGS = offset(DMA_MAP, "flags");
    public static final long DMA_MAP_VADDR = offset(DMA_MAP, "vaddr");
    public static final long DMA_MAP_IOVA = offset(DMA_MAP, "iova");
    public static final long DMA_MAP_SIZE = offset(DMA_MAP, "size");

    /** {@code struct vfio_iommu_type1_dma_unmap} (24). */
    public static final StructLayout DMA_UNMAP = struct("vfio_iommu_type1_dma_unmap", u32("argsz"), u32("flags"),
            u64("iova"), u64("size"));
    public static final long DMA_UNMAP_IOVA = offset(DMA_UNMAP, "iova");
    public static final long DMA_UNMAP_SIZE = offset(DMA_UNMAP, "size");

    /** {@code struct vfio_device_feature} (8), then the feature's payload at {@link #FEATURE_DATA}. */
    public static final StructLayout FEATURE = struct("vfio_device_feature", u32("argsz"), u32("flags"));
    public static final long FEATURE_FLAGS = offset(FEATURE, "flags");
    public static final long FEATURE_DATA = FEATURE.byteSize();

    /** {@code struct vfio_device_feature_migration} (8). */
    public static final StructLayout MIGRATION = struct("vfio_device_feature_migration", u64("flags"));

    /** {@code struct vfio_device_feature_mig_state} (8). */
    public static final StructLayout MIG_STATE = struct("vfio_device_feature_mig_state", u32("device_state"),
            u32("data_fd"));
    public static final long MIG_STATE_DEVICE_STATE = offset(MIG_STATE, "device_state");
    public static final long MIG_STATE_DATA_FD = offset(MIG_STATE, "data_fd");

    /** {@code struct vfio_device_feature_mig_data_size} (8). */
    public static final StructLayout MIG_DATA_SIZE = struct("vfio_device_feature_mig_data_size",
            u64("stop_copy_length"));

    /** {@code struct vfio_precopy_info} (24), the argument of {@code VFIO_MIG_GET_PRECOPY_INFO} on the data fd. */
    public static final StructLayout PRECOPY_INFO = struct("vfio_precopy_info", u32("argsz"), u32("flags"),
            u64("initial_bytes"), u64("dirty_bytes"));
    public static final long PRECOPY_INITIAL_BYTES = offset(PRECOPY_INFO, "initial_bytes");
    public static final long PRECOPY_DIRTY_BYTES = offset(PRECOPY_INFO, "dirty_bytes");
    /** Offset of {@code flags} ({@link Vfio#PRECOPY_INFO_REINIT} once opted in to MIG_PRECOPY_INFOv2). */
    public static final long PRECOPY_FLAGS = offset(PRECOPY_INFO, "flags");

    /** {@code struct vfio_device_feature_dma_logging_control} (24). */
    public static final StructLayout LOGGING_CONTROL = struct("vfio_device_feature_dma_logging_control",
            u64("page_size"), u32("num_ranges"), u32("reserved"), u64("ranges"));
    public static final long LOGGING_CONTROL_PAGE_SIZE = offset(LOGGING_CONTROL, "page_size");
    public static final long LOGGING_CONTROL_NUM_RANGES = offset(LOGGING_CONTROL, "num_ranges");
    public static final long LOGGING_CONTROL_RANGES = offset(LOGGING_CONTROL, "ranges");

    /** {@code struct vfio_device_feature_dma_logging_range} (16). */
    public static final StructLayout LOGGING_RANGE = struct("vfio_device_feature_dma_logging_range", u64("iova"),
            u64("length"));
    public static final long LOGGING_RANGE_IOVA = offset(LOGGING_RANGE, "iova");
    public static final long LOGGING_RANGE_LENGTH = offset(LOGGING_RANGE, "length");

    /** {@code struct vfio_device_feature_dma_logging_report} (32). */
    public static final StructLayout LOGGING_REPORT = struct("vfio_device_feature_dma_logging_report",
            u64("iova"), u64("length"), u64("page_size"), u64("bitmap"));
    public static final long LOGGING_REPORT_IOVA = offset(LOGGING_REPORT, "iova");
    public static final long LOGGING_REPORT_LENGTH = offset(LOGGING_REPORT, "length");
    public static final long LOGGING_REPORT_PAGE_SIZE = offset(LOGGING_REPORT, "page_size");
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
