package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.RecordKind;
import dev.tern.protocol.MigrationState;
import java.util.List;

/**
 * Puts the source back as it was after a failure before the commit point, like QEMU's
 * {@code vfio_migration_set_state_or_reset}: each device to RUNNING (its recovery state), a reset if that fails
 * (reset always yields RUNNING, uAPI); then dirty logging off, the guest resumed, the peer told.
 */
final class SourceRecovery {
    private SourceRecovery() {
    }

    /** @return true if every device is RUNNING afterwards */
    static boolean recover(final List<MigratingDevice> devices, final List<MigratingDevice> logging,
            final SourceMigration.Guest pausedGuest, final Session session) {
        boolean allRunning = true;
        for (final MigratingDevice d : devices) {
            try {
                if (d.target().state() != MigrationState.RUNNING) {
                    d.target().setState(MigrationState.RUNNING);
                }
            } catch (final DeviceException e) {
                try {
                    d.target().reset();
                } catch (final DeviceException resetFailed) {
                    allRunning = false;
                }
            }
            try {
                allRunning &= d.target().state() == MigrationState.RUNNING;
            } catch (final RuntimeException e) {
                allRunning = false;
            }
        }
        SourceMigration.stopLogging(logging);
        if (pausedGuest != null) {
            pausedGuest.resume();
        }
        if (session != null) {
            try {
                session.control().writer().write(RecordKind.ABORT, -1, WireText.of("source aborted the migration"));
            } catch (final Exception e) {
                // The connection may be what failed; the destination then sees it closed, which also aborts.
            }
        }
        return allRunning;
    }
}
