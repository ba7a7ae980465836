package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.RecordKind;
import dev.tern.protocol.MigrationState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Puts the source back as it was after a failure before the commit point, like QEMU's
 * {@code vfio_migration_set_state_or_reset}: each device to RUNNING (its recovery state), a reset if that fails;
 * then dirty logging off, the guest resumed, the peer told. What each device looks like afterwards is read back and
 * returned ({@link SourceOutcome}), never assumed.
 *
 * <p>Checksum reference: taken when recovery starts, for a device the migration had frozen (STOP_COPY, STOP) — that
 * frozen state is exactly what must survive — and compared again in STOP before the device runs (or right after a
 * reset). A checksum taken before the migration would not do: a device runs during pre-copy, so its state moves by
 * itself and a comparison could not tell loss from work; for the same reason a device that never stopped has no
 * reference, and is intact when it was not reset (no arc it went through touches its state).
 */
final class SourceRecovery {

    /** States in which a device's own state does not change, so a checksum taken there stays valid. */
    private static final Set<MigrationState> FROZEN = EnumSet.of(MigrationState.STOP, MigrationState.STOP_COPY);

    private SourceRecovery() {
    }

    /**
     * @param streams each device's open saving stream, or null
     * @return each device as observed after recovery
     */
    static List<SourceOutcome> recover(final List<MigratingDevice> devices, final MigrationStream[] streams,
            final List<MigratingDevice> logging, final SourceMigration.Guest pausedGuest, final Session session,
            final MigrationClock clock, final String reason) {
        final List<SourceOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            outcomes.add(recover(devices.get(i), streams[i], clock));
        }
        SourceMigration.stopLogging(logging);
        if (pausedGuest != null) {
            pausedGuest.resume();
        }
        if (session != null) {
            try {
                session.control().writer().write(RecordKind.ABORT, -1, WireText.of("source aborted the migration: " + reason));
            } catch (final Exception e) {
                // The connection may be what failed; the destination then sees it closed, which also aborts.
            }
        }
        return outcomes;
    }

    private static SourceOutcome recover(final MigratingDevice d, final MigrationStream stream,
            final MigrationClock clock) {
        final MigrationTarget t = d.target();
        final MigrationState at = t.state();
        final Long frozen = FROZEN.contains(at) && t.capabilities().checksum() ? checksumOrNull(t) : null;
        final List<String> notes = new ArrayList<>();
        Boolean matches = null;
        boolean reset = false;
        try {
            notes.addAll(drainBeforeLeaving(stream, at, clock));
            if (frozen != null) {
                if (t.state() != MigrationState.STOP) {
                    t.setState(MigrationState.STOP);
                }
                matches = frozen == t.checksum();
            }
            if (t.state() != MigrationState.RUNNING) {
                t.setState(MigrationState.RUNNING);
            }
        } catch (final DeviceException | RuntimeException e) {
            notes.add("recovery to RUNNING failed: " + MigrationFailedException.reason(e));
            reset = true;
            try {
                t.reset();
            } catch (final DeviceException | RuntimeException resetFailed) {
                notes.add("reset failed: " + MigrationFailedException.reason(resetFailed));
            }
            if (frozen != null) {
                final Long now = checksumOrNull(t);
                matches = now == null ? null : now.longValue() == frozen;
            }
        }
        final MigrationState after = stateOrNull(t);
        return new SourceOutcome(d.descriptor().name(), after, reset, integrity(after, at, reset, matches),
                String.join("; ", notes));
    }

    private static SourceOutcome.Integrity integrity(final MigrationState after, final MigrationState at,
            final boolean reset, final Boolean matches) {
        if (after != MigrationState.RUNNING) {
            return SourceOutcome.Integrity.UNKNOWN;
        }
        if (matches != null) {
            return matches ? SourceOutcome.Integrity.INTACT : SourceOutcome.Integrity.LOST;
        }
        if (reset) {
            return SourceOutcome.Integrity.LOST;
        }
        return FROZEN.contains(at) ? SourceOutcome.Integrity.NOT_VERIFIABLE : SourceOutcome.Integrity.INTACT;
    }

    /**
     * Reads (and discards) what a saving stream still holds before the device leaves its session, so a device is
     * not taken out of PRE_COPY or STOP_COPY with its stream half-read (some servers insist, vfio-user-interop.md
     * L10) — bounded by {@link SourceRounds#ROUND_CAP_NANOS}.
     *
     * @return what could not be done, for the outcome's note (empty if the stream was read to its pause or end)
     */
    private static List<String> drainBeforeLeaving(final MigrationStream stream, final MigrationState at,
            final MigrationClock clock) {
        if (stream == null || !stream.isLive() || !at.isSaving()) {
            return List.of();
        }
        final ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        final long deadline = clock.nanos() + SourceRounds.ROUND_CAP_NANOS;
        try {
            while (clock.nanos() < deadline) {
                if (stream.read(buf.clear()) <= 0) {
                    return List.of();
                }
            }
            return List.of("left " + at + " with its stream partly read: it still had data after "
                    + SourceRounds.ROUND_CAP_NANOS / 1_000_000 + " ms");
        } catch (final DeviceException e) {
            return List.of("left " + at + " with its stream partly read: " + MigrationFailedException.reason(e));
        }
    }

    private static Long checksumOrNull(final MigrationTarget t) {
        try {
            return t.checksum();
        } catch (final DeviceException | RuntimeException e) {
            return null;
        }
    }

    private static MigrationState stateOrNull(final MigrationTarget t) {
        try {
            return t.state();
        } catch (final RuntimeException e) {
            return null;
        }
    }
}
