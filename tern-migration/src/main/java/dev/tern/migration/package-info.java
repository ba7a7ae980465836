/**
 * The migration orchestrator: a source ({@link dev.tern.migration.SourceMigration}) and a destination
 * ({@link dev.tern.migration.DestinationMigration}) move running devices and the guest memory they DMA into over
 * TCP: compatibility handshake with the verification plan, pre-copy rounds with switchover-ack and a downtime rule
 * ({@link dev.tern.migration.SwitchoverPolicy}), P2P-ordered switchover, commit point with doubt resolution,
 * recovery reported as read back ({@link dev.tern.migration.SourceOutcome}), and the
 * {@link dev.tern.migration.MigrationReport}. The sequence follows QEMU's {@code hw/vfio/migration.c}
 * (live-migration.md §1).
 */
package dev.tern.migration;
