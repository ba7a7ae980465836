package dev.tern.vfiouser.codec;

import java.util.Optional;

/**
 * DEVICE_FEATURE indexes this codec knows (low 16 bits of the feature flags; uAPI {@code VFIO_DEVICE_FEATURE_*}).
 * The vfio-user specification ("Device Features") lists 1, 2, 6, 7 and 8; 9 is the kernel's MIG_DATA_SIZE, and
 * {@link #TERN_PRECOPY_INFO} is a Tern extension in a high vendor range (the kernel numbers its features from 0
 * upwards and is at 11), so it never collides with a kernel feature.
 */
public enum Feature {
    /** {@code VFIO_DEVICE_FEATURE_MIGRATION}: GET the {@code VFIO_MIGRATION_*} flags. */
    MIGRATION(1, 8),
    /** {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}: GET / SET the migration FSM state. */
    MIG_DEVICE_STATE(2, 8),
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}: SET. */
    DMA_LOGGING_START(6, 0),
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP}: SET. */
    DMA_LOGGING_STOP(7, 0),
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}: GET a dirty bitmap. */
    DMA_LOGGING_REPORT(8, FeaturePayload.DmaLoggingReport.SIZE),
    /** {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE}: GET the estimated STOP_COPY data length. */
    MIG_DATA_SIZE(9, 8),
    /**
     * <b>Tern extension</b> {@code 0xFF01}: GET {@code u64 initial_bytes, u64 dirty_bytes}, mirroring the kernel's
     * {@code struct vfio_precopy_info} ({@code VFIO_MIG_GET_PRECOPY_INFO}). Only visible when negotiated through
     * {@link TernExtension#precopyInfo()}.
     */
    TERN_PRECOPY_INFO(0xFF01, 16);

    private final int index;
    private final int getReplySize;

    Feature(final int index, final int getReplySize) {
        this.index = index;
        this.getReplySize = getReplySize;
    }

    /** {@return the feature index} */
    public int index() {
        return index;
    }

    /** {@return bytes of data a GET reply carries (0 for SET-only features; the bitmap of REPORT not counted)} */
    public int getReplySize() {
        return getReplySize;
    }

    /**
     * {@return the feature, or empty if unknown}
     *
     * @param index a feature index
     */
    public static Optional<Feature> of(final int index) {
        for (final Feature f : values()) {
            if (f.index == index) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
