package dev.tern.device.migration;

/**
 * {@code struct vfio_precopy_info} ({@code VFIO_MIG_GET_PRECOPY_INFO}, spec §2.9).
 *
 * @param initialBytes initial pre-copy data still to read; starts non-zero and only decreases
 * @param dirtyBytes data changed since it was read; starts at 0, may rise and fall
 */
public record PrecopyInfo(long initialBytes, long dirtyBytes) {

    /** Validates the counts. */
    public PrecopyInfo {
        if (initialBytes < 0 || dirtyBytes < 0) {
            throw new IllegalArgumentException("negative pre-copy byte count");
        }
    }
}
