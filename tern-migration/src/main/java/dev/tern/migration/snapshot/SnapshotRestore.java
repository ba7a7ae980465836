package dev.tern.migration.snapshot;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Restores devices from a snapshot file. Nothing touches a device until the whole file has been read and every
 * digest checked, and every record's kind and format version match the device it goes to; then each device is loaded
 * (RESUMING) with its payload's digest checked again after the last byte and before RESUMING ends, so a file changed
 * in between is caught while the load can still be aborted (reset, vfio-migration.md §2.7). A failed restore resets
 * every device it touched and says so; none is left in RESUMING.
 */
public final class SnapshotRestore {

    private SnapshotRestore() {
    }

    /**
     * @param devices      the devices to load, paired with the file's device records by position
     * @param leaveStopped true to leave the devices in STOP, false to run them
     * @return the records loaded
     */
    public static List<SnapshotRecord> restore(final List<SnapshotDevice> devices, final Path file,
            final boolean leaveStopped) throws Exception {
        try (SnapshotReader r = SnapshotReader.open(file)) {
            final List<SnapshotReader.Entry> records = match(r, devices, file);
            r.verify();
            final List<SnapshotRecord> loaded = new ArrayList<>();
            int touched = 0;
            try {
                for (int i = 0; i < devices.size(); i++) {
                    touched = i + 1;
                    load(r, records.get(i), devices.get(i));
                    loaded.add(records.get(i).record());
                }
                for (final SnapshotDevice d : devices) {
                    d.target().setState(leaveStopped ? MigrationState.STOP : MigrationState.RUNNING);
                }
            } catch (final Exception e) {
                resetAll(devices.subList(0, touched));
                throw e;
            }
            return loaded;
        }
    }

    /** Pairs records with devices; refuses a file of other kinds, other versions, or another device count. */
    private static List<SnapshotReader.Entry> match(final SnapshotReader r, final List<SnapshotDevice> devices,
            final Path file) throws SnapshotException {
        final List<SnapshotReader.Entry> records = r.entries().stream()
                .filter(e -> e.record().type() == SnapshotRecord.Type.DEVICE).toList();
        if (records.size() != r.entries().size()) {
            throw new SnapshotException(file + " holds guest memory; restoring memory is not supported yet");
        }
        if (records.size() != devices.size()) {
            throw new SnapshotException(file + " holds " + records.size() + " device(s), " + devices.size()
                    + " given");
        }
        for (int i = 0; i < devices.size(); i++) {
            final SnapshotRecord rec = records.get(i).record();
            final MigrationTarget t = devices.get(i).target();
            if (!rec.kind().equals(t.kind()) || rec.version() != t.formatVersion()) {
                throw new SnapshotException(file + " was made by a device of kind " + rec.kind() + " (format "
                        + rec.version() + ", saved as " + rec.name() + "); " + devices.get(i).name() + " is "
                        + t.kind() + " (format " + t.formatVersion() + ")");
            }
        }
        return records;
    }

    private static void load(final SnapshotReader r, final SnapshotReader.Entry e, final SnapshotDevice d)
            throws Exception {
        final MigrationTarget t = d.target();
        final MigrationState s = t.state();
        if (s != MigrationState.RUNNING && s != MigrationState.STOP) {
            throw new DeviceException(Errno.EBUSY, d.name() + " is in " + s + ", not RUNNING or STOP");
        }
        final MigrationStream w = t.setState(MigrationState.RESUMING).stream().orElseThrow(
                () -> new DeviceException(Errno.EPROTO, d.name() + ": RESUMING opened no stream"));
        try {
            r.payload(e, w::write);
            t.setState(MigrationState.STOP);
        } catch (final DeviceException x) {
            // The device refused the data (on write, or when RESUMING ends: uAPI §2.4 RESUMING -> STOP).
            throw new DeviceException(x.errno(), d.name() + " refused the saved state: " + x.getMessage(), x);
        }
    }

    /** Every device touched by a failed restore is reset; its state as read back is all that is claimed. */
    private static void resetAll(final List<SnapshotDevice> devices) {
        for (final SnapshotDevice d : devices) {
            try {
                d.target().reset();
            } catch (final DeviceException | RuntimeException e) {
                // reset() states what it read back; the caller's exception already says the restore failed.
            }
        }
    }

    /** After a failed save: every device back to RUNNING, by a state request or else a reset. */
    static void recover(final List<SnapshotDevice> devices) {
        for (final SnapshotDevice d : devices) {
            try {
                d.target().setState(MigrationState.RUNNING);
            } catch (final DeviceException | RuntimeException e) {
                try {
                    d.target().reset();
                } catch (final DeviceException | RuntimeException g) {
                    // Reported by the caller's exception; the device's state is then unknown.
                }
            }
        }
    }
}
