package dev.tern.vfio;

import java.util.List;

/**
 * What {@code VFIO_DEVICE_GET_REGION_INFO} reports for one region, capability chain decoded.
 *
 * @param index the region index
 * @param flags {@code VFIO_REGION_INFO_FLAG_*}
 * @param size bytes
 * @param offset where the region starts on the device fd (for pread/pwrite/mmap)
 * @param type {@code VFIO_REGION_INFO_CAP_TYPE} as {type, subtype}, or null
 * @param sparseAreas {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP} areas as {offset, size} pairs
 */
public record KernelRegion(int index, int flags, long size, long offset, int[] type, List<long[]> sparseAreas) {
}
