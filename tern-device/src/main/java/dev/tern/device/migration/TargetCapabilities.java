package dev.tern.device.migration;

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
 * @param dirtyLogging the DMA logging calls are offered
 */
public record TargetCapabilities(boolean precopyInfo, boolean stopCopySize, boolean checksum, boolean dirtyLogging) {

    /** @return everything offered: the in-process engine, a Tern server with the extension negotiated */
    public static TargetCapabilities all() {
        return new TargetCapabilities(true, true, true, true);
    }
}
