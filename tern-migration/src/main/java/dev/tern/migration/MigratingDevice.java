package dev.tern.migration;

import dev.tern.device.migration.MigrationTarget;

/**
 * A device taking part in a migration: how the handshake describes it, and the target the orchestrator drives
 * (an in-process SDK engine or a vfio-user device through the client — the orchestrator cannot tell them apart).
 *
 * @param descriptor what the compatibility handshake compares
 * @param target the migration interface
 */
public record MigratingDevice(DeviceDescriptor descriptor, MigrationTarget target) {
}
