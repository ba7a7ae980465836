/**
 * The Linux kernel backend: VFIO devices opened the container/group way through {@code /dev/vfio}
 * ({@link dev.tern.vfio.VfioDevice}, found in sysfs by {@link dev.tern.vfio.VfioLocator}), and a kernel device as a
 * {@link dev.tern.device.migration.MigrationTarget} ({@link dev.tern.vfio.KernelMigrationTarget}: MIG_DEVICE_STATE,
 * the data fd, PRECOPY_INFO, MIG_DATA_SIZE, DMA logging where it works).
 */
package dev.tern.vfio;
