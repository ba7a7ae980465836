package dev.tern.migration.snapshot;

import dev.tern.device.migration.MigrationTarget;

/**
 * A device saved to or restored from a snapshot.
 *
 * @param name   how the person named it (recorded when saving, shown in messages)
 * @param target the device
 */
public record SnapshotDevice(String name, MigrationTarget target) {
}
