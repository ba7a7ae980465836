package dev.tern.device.migration;

import dev.tern.device.Device;

/**
 * A device that migrates: the VMM-visible {@link Device} plus its {@link MigrationHooks}; wrap it with
 * {@link MigrationEngine#of(MigratableDevice)}.
 */
public interface MigratableDevice extends Device, MigrationHooks {
}
