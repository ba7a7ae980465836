/**
 * Snapshot files (docs/snapshot-format.md): devices' stop-copy streams, and optionally guest memory, saved to a file
 * with a digest per record ({@link dev.tern.migration.snapshot.SnapshotSave}) and restored only after the whole
 * file has been read and checked ({@link dev.tern.migration.snapshot.SnapshotRestore}).
 */
package dev.tern.migration.snapshot;
