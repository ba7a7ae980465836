package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.migration.snapshot.SnapshotDevice;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The devices of a save or restore, opened as migration targets whatever their transport (no guest memory: a
 * snapshot holds device state only). Closing closes every target.
 */
final class OpenTargets implements AutoCloseable {

    private final List<SnapshotDevice> devices = new ArrayList<>();

    /** Opens every device {@code choice} names, in order; on failure closes what was opened and says which. */
    static OpenTargets open(final DeviceChoice choice, final VfioRoots roots) {
        final OpenTargets opened = new OpenTargets();
        try {
            if (choice.sockets != null) {
                for (final Path p : choice.sockets) {
                    opened.devices.add(new SnapshotDevice(p.getFileName().toString(), socket(p)));
                }
            } else {
                for (final VfioAddress a : roots.locate(choice.vfio)) {
                    opened.devices.add(new SnapshotDevice(a.input(), roots.open(a)));
                }
            }
            return opened;
        } catch (final RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private static MigrationTarget socket(final Path p) {
        try {
            return new VfioUserMigrationTarget(VfioUserClient.connect(p, ClientOptions.defaults()), () -> { });
        } catch (final DeviceException e) {
            final String why = MigrateCommand.oneLine(e.getMessage());
            throw new CliException(why.contains(p.toString()) ? why : p + ": " + why);
        }
    }

    /** @return the devices, in the order named */
    List<SnapshotDevice> devices() {
        return devices;
    }

    /** @return each device's state as read back now, e.g. {@code a.sock RUNNING, b.sock ERROR} */
    String states() {
        final List<String> out = new ArrayList<>();
        for (final SnapshotDevice d : devices) {
            String state;
            try {
                state = d.target().state().name();
            } catch (final RuntimeException e) {
                state = "unknown (" + MigrateCommand.oneLine(e.getMessage()) + ")";
            }
            out.add(d.name() + " " + state);
        }
        return String.join(", ", out);
    }

    @Override
    public void close() {
        for (final SnapshotDevice d : devices) {
            try {
                d.target().close();
            } catch (final RuntimeException e) {
                // Closing a connection or an fd; nothing to report to the person.
            }
        }
    }
}
