package dev.tern.device.migration;

import java.util.Objects;

/**
 * The optional parts of {@link MigrationTarget} a particular target really offers. Everything above a target (the
 * orchestrator, the conformance kit, the CLI) asks this instead of assuming its peer is Tern or testing its class:
 * a kernel device has MIG_DATA_SIZE and PRECOPY_INFO but no state checksum; a plain vfio-user server (libvfio-user)
 * has none of the three; Tern's own server offers all of them once the {@code tern} capability was negotiated.
 *
 * @param precopyInfo  {@link MigrationTarget#precopyInfo()} answers ({@code VFIO_MIG_GET_PRECOPY_INFO}, or Tern's
 *                     vfio-user extension); without it pre-copy progress is observed from the stream itself
 * @param stopCopySize {@link MigrationTarget#stopCopySize()} answers ({@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE}); not
 *                     a vfio-user feature
 * @param checksum     {@link MigrationTarget#checksum()} answers (Tern diagnostics only); without it a migration
 *                     cannot verify the device end to end and says so
 * @param dirtyLogging  the DMA logging calls are offered
 * @param dirtyLogRules which rules the DMA logging calls follow: which requests are refused, with which errno
 */
public record TargetCapabilities(boolean precopyInfo, boolean stopCopySize, boolean checksum, boolean dirtyLogging,
        DirtyLogRules dirtyLogRules) {

    /** The rules of DMA_LOGGING_START / REPORT / STOP a target follows. */
    public enum DirtyLogRules {
        /**
         * The kernel uAPI's errno table ({@code vfio.h}, spec §2.11): no ranges EINVAL, more than the device's
         * range limit E2BIG, unaligned or overlapping ranges EINVAL, page sizes the device cannot report EINVAL.
         */
        KERNEL_UAPI,
        /**
         * Tern's vfio-user server: the uAPI errno table, except that no ranges is not an error: vfio-user defines
         * it as "log all writes" (specification "VFIO_USER_DEVICE_FEATURE", DMA_LOGGING_START).
         */
        TERN_VFIO_USER,
        /**
         * Plain vfio-user (libvfio-user and the specification): no ranges logs all writes, and the specification
         * has no errno table, so bad requests may be accepted (libvfio-user ignores the ranges, vfio-user-interop.md
         * L6); only START / REPORT / STOP working and REPORT without logging failing are required.
         */
        VFIO_USER
    }

    /** Checks for null. */
    public TargetCapabilities {
        Objects.requireNonNull(dirtyLogRules, "dirtyLogRules");
    }

    /**
     * The kernel uAPI's DMA-logging rules ({@link DirtyLogRules#KERNEL_UAPI}).
     *
     * @param precopyInfo {@link MigrationTarget#precopyInfo()} answers
     * @param stopCopySize {@link MigrationTarget#stopCopySize()} answers
     * @param checksum {@link MigrationTarget#checksum()} answers
     * @param dirtyLogging the DMA logging calls are offered
     */
    public TargetCapabilities(final boolean precopyInfo, final boolean stopCopySize, final boolean checksum,
            final boolean dirtyLogging) {
        this(precopyInfo, stopCopySize, checksum, dirtyLogging, DirtyLogRules.KERNEL_UAPI);
    }

    /** {@return everything offered, kernel uAPI rules: the in-process engine} */
    public static TargetCapabilities all() {
        return new TargetCapabilities(true, true, true, true);
    }
}
