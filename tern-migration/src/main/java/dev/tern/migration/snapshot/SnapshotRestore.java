package dev.tern.migration.snapshot;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.vmm.GuestMemory;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Restores devices from a snapshot file. Nothing touches a device until the whole file has been read and every
 * digest checked, and every record's kind and format version match the device it goes to; then each device is loaded
 * (RESUMING) with its payload's digest checked again after the last byte and before RESUMING ends, so a file changed
 * in between is caught while the load can still be aborted (reset, vfio-migration.md §2.7). A failed restore resets
 * every device it touched and says so; none is left in RESUMING. Guest memory is written back while every device is
 * in RESUMING (none runs, none does DMA) and its digest checked before any device leaves RESUMING.
 */
public final class SnapshotRestore {

    private SnapshotRestore() {
    }

    /**
     * Restores device state only: {@link #restore(List, Optional, Path, boolean)} without guest memory.
     *
     * @param devices the devices to load, paired with the file's device records by position
     * @param file the snapshot file
     * @param leaveStopped true to leave the devices in STOP, false to run them
     * @return the records loaded
     * @throws Exception as {@link #restore(List, Optional, Path, boolean)}
     */
    public static List<SnapshotRecord> restore(final List<SnapshotDevice> devices, final Path file,
            final boolean leaveStopped) throws Exception {
        return restore(devices, Optional.empty(), file, leaveStopped);
    }

    /**
     * {@return the records loaded (devices, then memory)}
     *
     * @param devices      the devices to load, paired with the file's device records by position
     * @param memory       the guest memory the devices have mapped, of the file's memory record's size; empty if the
     * file holds no memory
     * @param leaveStopped true to leave the devices in STOP, false to run them
     * @param file the snapshot file
     * @throws Exception {@link SnapshotException} for a damaged file or a kind mismatch (no device touched), or a
     *     device's refusal (that device reset)
     */
    public static List<SnapshotRecord> restore(final List<SnapshotDevice> devices, final Optional<MemorySegment> memory,
            final Path file, final boolean leaveStopped) throws Exception {
        try (SnapshotReader r = SnapshotReader.open(file)) {
            final List<SnapshotReader.Entry> records = match(r, devices, file);
            final Optional<SnapshotReader.Entry> image = matchMemory(r, memory, file);
            r.verify();
            final List<SnapshotRecord> loaded = new ArrayList<>();
            int touched = 0;
            try {
                for (int i = 0; i < devices.size(); i++) {
                    touched = i + 1;
                    resume(r, records.get(i), devices.get(i));
                    loaded.add(records.get(i).record());
                }
                if (image.isPresent()) {
                    // Written while every device is still RESUMING (no DMA), its digest checked before any ends it.
                    writeMemory(r, image.get(), memory.orElseThrow());
                    loaded.add(image.get().record());
                }
                for (final SnapshotDevice d : devices) {
                    endResuming(d);
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

    /** The memory record, if any: there must be one exactly when memory is given, of the same size and page size. */
    private static Optional<SnapshotReader.Entry> matchMemory(final SnapshotReader r,
            final Optional<MemorySegment> memory, final Path file) throws SnapshotException {
        final Optional<SnapshotReader.Entry> image = memoryEntry(r.entries(), file);
        final long given = memory.map(MemorySegment::byteSize).orElse(0L);
        final long saved = image.map(e -> e.record().length()).orElse(0L);
        if (image.isPresent() != memory.isPresent() || given != saved) {
            throw new SnapshotException(file + " holds " + (image.isPresent() ? saved + " bytes of" : "no")
                    + " guest memory; " + (memory.isPresent() ? given + " bytes" : "none") + " given");
        }
        if (image.isPresent() && (image.get().record().version() != GuestMemory.PAGE
                || image.get().record().base() != 0)) {
            throw new SnapshotException(file + ": guest memory saved with page size " + image.get().record().version()
                    + " at 0x" + Long.toHexString(image.get().record().base()) + "; this Tern maps 4096-byte pages "
                    + "at IOVA 0");
        }
        return image;
    }

    /** @return the memory record; it must be the last record and the only one */
    static Optional<SnapshotReader.Entry> memoryEntry(final List<SnapshotReader.Entry> entries, final Path file)
            throws SnapshotException {
        final List<SnapshotReader.Entry> images = entries.stream()
                .filter(e -> e.record().type() == SnapshotRecord.Type.MEMORY).toList();
        if (images.size() > 1 || (images.size() == 1 && entries.getLast() != images.getFirst())) {
            throw new SnapshotException(file + ": " + images.size() + " memory records, or one not last");
        }
        return images.stream().findFirst();
    }

    /** Takes the device to RESUMING and sends it its payload (digest checked after the last byte). */
    private static void resume(final SnapshotReader r, final SnapshotReader.Entry e, final SnapshotDevice d)
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
        } catch (final DeviceException x) {
            throw refused(d, x);
        }
    }

    /** RESUMING → STOP: where the device accepts or refuses the whole state (uAPI §2.4). */
    private static void endResuming(final SnapshotDevice d) throws DeviceException {
        try {
            d.target().setState(MigrationState.STOP);
        } catch (final DeviceException x) {
            throw refused(d, x);
        }
    }

    private static DeviceException refused(final SnapshotDevice d, final DeviceException x) {
        return new DeviceException(x.errno(), d.name() + " refused the saved state: " + x.getMessage(), x);
    }

    private static void writeMemory(final SnapshotReader r, final SnapshotReader.Entry e, final MemorySegment memory)
            throws Exception {
        final long[] at = {0};
        r.payload(e, chunk -> {
            final int n = chunk.remaining();
            MemorySegment.copy(MemorySegment.ofBuffer(chunk), 0, memory, at[0], n);
            at[0] += n;
        });
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
