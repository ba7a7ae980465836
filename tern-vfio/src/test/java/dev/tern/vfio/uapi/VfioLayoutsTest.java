package dev.tern.vfio.uapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/**
 * Pins every VFIO struct and number to the C values: gcc against Debian 12's {@code linux-libc-dev 6.1}
 * {@code linux/vfio.h} on x86-64 (sizeof/offsetof/the ioctl macros), and vfio-migration.md §2.1/§2.12 for the
 * structs newer than 6.1 (precopy_info, mig_data_size).
 */
class VfioLayoutsTest {

    @Test
    void containerGroupAndDeviceStructsMatchGcc() {
        size(VfioLayouts.GROUP_STATUS, 8);
        size(VfioLayouts.DEVICE_INFO, 20);
        assertThat(VfioLayouts.DEVICE_INFO_FLAGS).isEqualTo(4);
        assertThat(VfioLayouts.DEVICE_INFO_NUM_REGIONS).isEqualTo(8);
        assertThat(VfioLayouts.DEVICE_INFO_NUM_IRQS).isEqualTo(12);
        size(VfioLayouts.REGION_INFO, 32);
        assertThat(new long[] {VfioLayouts.REGION_INFO_FLAGS, VfioLayouts.REGION_INFO_INDEX,
            VfioLayouts.REGION_INFO_CAP_OFFSET, VfioLayouts.REGION_INFO_SIZE, VfioLayouts.REGION_INFO_OFFSET})
                .containsExactly(4, 8, 12, 16, 24);
        size(VfioLayouts.CAP_HEADER, 8);
        assertThat(new long[] {VfioLayouts.CAP_ID, VfioLayouts.CAP_VERSION, VfioLayouts.CAP_NEXT})
                .containsExactly(0, 2, 4);
        size(VfioLayouts.CAP_TYPE, 16);
        assertThat(VfioLayouts.CAP_TYPE_TYPE).isEqualTo(8);
        assertThat(VfioLayouts.CAP_TYPE_SUBTYPE).isEqualTo(12);
        size(VfioLayouts.CAP_SPARSE_MMAP, 16);
        assertThat(VfioLayouts.CAP_SPARSE_NR_AREAS).isEqualTo(8);
        size(VfioLayouts.SPARSE_AREA, 16);
        assertThat(VfioLayouts.SPARSE_AREA_SIZE).isEqualTo(8);
        size(VfioLayouts.IRQ_INFO, 16);
        assertThat(new long[] {VfioLayouts.IRQ_INFO_FLAGS, VfioLayouts.IRQ_INFO_INDEX, VfioLayouts.IRQ_INFO_COUNT})
                .containsExactly(4, 8, 12);
        size(VfioLayouts.IRQ_SET, 20);
        assertThat(new long[] {VfioLayouts.IRQ_SET_FLAGS, VfioLayouts.IRQ_SET_INDEX, VfioLayouts.IRQ_SET_START,
            VfioLayouts.IRQ_SET_COUNT}).containsExactly(4, 8, 12, 16);
        size(VfioLayouts.DMA_MAP, 32);
        assertThat(new long[] {VfioLayouts.DMA_MAP_FLAGS, VfioLayouts.DMA_MAP_VADDR, VfioLayouts.DMA_MAP_IOVA,
            VfioLayouts.DMA_MAP_SIZE}).containsExactly(4, 8, 16, 24);
        size(VfioLayouts.DMA_UNMAP, 24);
        assertThat(VfioLayouts.DMA_UNMAP_IOVA).isEqualTo(8);
        assertThat(VfioLayouts.DMA_UNMAP_SIZE).isEqualTo(16);
    }

    @Test
    void migrationStructsMatchTheSpecTable() {
        size(VfioLayouts.FEATURE, 8);
        assertThat(VfioLayouts.FEATURE_FLAGS).isEqualTo(4);
        assertThat(VfioLayouts.FEATURE_DATA).isEqualTo(8);
        size(VfioLayouts.MIGRATION, 8);
        size(VfioLayouts.MIG_STATE, 8);
        assertThat(VfioLayouts.MIG_STATE_DEVICE_STATE).isZero();
        assertThat(VfioLayouts.MIG_STATE_DATA_FD).isEqualTo(4);
        size(VfioLayouts.MIG_DATA_SIZE, 8);
        size(VfioLayouts.PRECOPY_INFO, 24);
        assertThat(VfioLayouts.PRECOPY_INITIAL_BYTES).isEqualTo(8);
        assertThat(VfioLayouts.PRECOPY_DIRTY_BYTES).isEqualTo(16);
        assertThat(VfioLayouts.PRECOPY_FLAGS).isEqualTo(4);
        size(VfioLayouts.LOGGING_CONTROL, 24);
        assertThat(new long[] {VfioLayouts.LOGGING_CONTROL_PAGE_SIZE, VfioLayouts.LOGGING_CONTROL_NUM_RANGES,
            VfioLayouts.LOGGING_CONTROL_RANGES}).containsExactly(0, 8, 16);
        size(VfioLayouts.LOGGING_RANGE, 16);
        assertThat(VfioLayouts.LOGGING_RANGE_LENGTH).isEqualTo(8);
        size(VfioLayouts.LOGGING_REPORT, 32);
        assertThat(new long[] {VfioLayouts.LOGGING_REPORT_IOVA, VfioLayouts.LOGGING_REPORT_LENGTH,
            VfioLayouts.LOGGING_REPORT_PAGE_SIZE, VfioLayouts.LOGGING_REPORT_BITMAP}).containsExactly(0, 8, 16, 24);
    }

    @Test
    void ioctlNumbersMatchGcc() {
        assertThat(new long[] {Vfio.GET_API_VERSION, Vfio.CHECK_EXTENSION, Vfio.SET_IOMMU, Vfio.GROUP_GET_STATUS,
            Vfio.GROUP_SET_CONTAINER, Vfio.GROUP_UNSET_CONTAINER, Vfio.GROUP_GET_DEVICE_FD, Vfio.DEVICE_GET_INFO,
            Vfio.DEVICE_GET_REGION_INFO, Vfio.DEVICE_GET_IRQ_INFO, Vfio.DEVICE_SET_IRQS, Vfio.DEVICE_RESET,
            Vfio.IOMMU_MAP_DMA, Vfio.IOMMU_UNMAP_DMA, Vfio.DEVICE_FEATURE, Vfio.MIG_GET_PRECOPY_INFO})
                .containsExactly(0x3b64, 0x3b65, 0x3b66, 0x3b67, 0x3b68, 0x3b69, 0x3b6a, 0x3b6b, 0x3b6c, 0x3b6d,
                        0x3b6e, 0x3b6f, 0x3b71, 0x3b72, 0x3b75, 0x3b79);
    }

    @Test
    void flagWordsMatchTheSpec() {
        // §2.2: GET|MIGRATION = 0x10001, SET|MIG_DEVICE_STATE = 0x20002, GET|LOGGING_REPORT = 0x10008
        assertThat(Vfio.FEATURE_GET | Vfio.FEATURE_MIGRATION).isEqualTo(0x10001);
        assertThat(Vfio.FEATURE_SET | Vfio.FEATURE_MIG_DEVICE_STATE).isEqualTo(0x20002);
        assertThat(Vfio.FEATURE_SET | Vfio.FEATURE_DMA_LOGGING_START).isEqualTo(0x20006);
        assertThat(Vfio.FEATURE_GET | Vfio.FEATURE_DMA_LOGGING_REPORT).isEqualTo(0x10008);
        assertThat(Vfio.FEATURE_GET | Vfio.FEATURE_MIG_DATA_SIZE).isEqualTo(0x10009);
        assertThat(Vfio.FEATURE_PROBE).isEqualTo(0x40000);
        assertThat(new int[] {Vfio.TYPE1V2_IOMMU, Vfio.GROUP_FLAGS_VIABLE, Vfio.GROUP_FLAGS_CONTAINER_SET,
            Vfio.IRQ_SET_DATA_EVENTFD, Vfio.IRQ_SET_ACTION_TRIGGER, Vfio.IRQ_SET_DATA_NONE,
            Vfio.REGION_INFO_FLAG_CAPS, Vfio.REGION_INFO_FLAG_MMAP, Vfio.DEVICE_FLAGS_RESET, Vfio.DEVICE_FLAGS_PCI,
            Vfio.REGION_INFO_CAP_SPARSE_MMAP, Vfio.REGION_INFO_CAP_TYPE})
                .containsExactly(3, 1, 2, 4, 0x20, 1, 8, 4, 1, 2, 1, 2);
    }

    private static void size(final StructLayout layout, final long bytes) {
        assertThat(layout.byteSize()).as(layout.name().orElseThrow()).isEqualTo(bytes);
    }
}
