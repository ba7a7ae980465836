/**
 * Migration for SDK devices: a device author implements {@link dev.tern.device.migration.MigrationHooks} (one hook
 * per kind of arc of the v2 uAPI, plus the state bytes as a {@link dev.tern.device.migration.SaveSource} and a
 * {@link dev.tern.device.migration.LoadSink}); the {@link dev.tern.device.migration.MigrationEngine} owns the
 * migration state, walks combination transitions arc by arc and implements the data-fd rules. Everything that
 * migrates like a VFIO device (this engine, a vfio-user device through its client, a kernel device) is a
 * {@link dev.tern.device.migration.MigrationTarget} with declared {@link dev.tern.device.migration.TargetCapabilities}.
 */
package dev.tern.device.migration;
