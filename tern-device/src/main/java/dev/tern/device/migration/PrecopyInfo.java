package dev.tern.device.migration;

/**
 * {@code struct vfio_precopy_info} ({@code VFIO_MIG_GET_PRECOPY_INFO}, spec §2.9), with the {@code flags} bit that
 * {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} (feature 12, kernel 7.1, vfio-user-interop.md §3) opts in to.
 *
 * @param initialBytes initial pre-copy data still to read; starts non-zero and decreases as read, except after a
 *                     re-initialisation
 * @param dirtyBytes   data changed since it was read; starts at 0, may rise and fall
 * @param reinit       {@code VFIO_PRECOPY_INFO_REINIT}: the device re-initialised since the previous query, new initial
 *                     data appeared ({@code initialBytes} may jump, {@code dirtyBytes} restarted from 0); reported by
 *                     the first query after it, once
 */
public record PrecopyInfo(long initialBytes, long dirtyBytes, boolean reinit) {

    /** Validates the counts. */
    public PrecopyInfo {
        if (initialBytes < 0 || dirtyBytes < 0) {
            throw new IllegalArgumentException("negative pre-copy byte count");
        }
    }

    /**
     * Pre-copy progress without a re-initialisation.
     *
     * @param initialBytes initial pre-copy data still to read
     * @param dirtyBytes data changed since it was read
     */
    public PrecopyInfo(final long initialBytes, final long dirtyBytes) {
        this(initialBytes, dirtyBytes, false);
    }
}
