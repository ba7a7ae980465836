package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.migration.snapshot.SnapshotDevice;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vmm.DeviceSide;
import dev.tern.vmm.VmmDevice;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The devices of a save or restore, opened as migration targets whatever their transport, with or without guest
 * memory (with it, this process plays the VMM: it owns the memfd and DMA-maps it into every device at IOVA 0, as for
 * a migration, see {@link DeviceSide}). Closing closes every target, then frees the memory.
 */
final class OpenTargets implements AutoCloseable {

    private final List<SnapshotDevice> devices = new ArrayList<>();
    private Optional<DeviceSide> side = Optional.empty();

    /**
     * Opens every device {@code choice} names with {@code guestMemory} bytes of guest memory mapped into each one.
     *
     * @param role source: each device must be RUNNING; destination: each device is reset first
     */
    static OpenTargets withMemory(final DeviceChoice choice, final VfioRoots roots, final long guestMemory,
            final DeviceSide.Role role) {
        final DeviceSide side = Sides.open(choice, roots, guestMemory, role, false);
        final OpenTargets opened = new OpenTargets();
        opened.side = Optional.of(side);
        for (final VmmDevice d : side.devices()) {
            opened.devices.add(new SnapshotDevice(d.name(), d.target()));
        }
        return opened;
    }

    /** @return the guest memory the devices have mapped, if opened {@link #withMemory} */
    Optional<MemorySegment> memory() {
        return side.map(s -> s.memory().segment());
    }

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
        if (side.isPresent()) {
            side.get().close();
            return;
        }
        for (final SnapshotDevice d : devices) {
            try {
                d.target().close();
            } catch (final RuntimeException e) {
                // Closing a connection or an fd; nothing to report to the person.
            }
        }
    }
}
