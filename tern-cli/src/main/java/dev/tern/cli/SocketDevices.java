package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.migration.DeviceDescriptor;
import dev.tern.migration.MigratingDevice;
import dev.tern.vmm.RegionLayout;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.RegionDescription;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One side of a migration between vfio-user devices: this process plays the VMM. It connects to every device,
 * creates the guest memory (a memfd) and DMA-maps it at IOVA 0 into each device, so device DMA and the
 * migration's dirty tracking see the same memory on both sides. Closing the {@link DeviceSide} disconnects the
 * clients (the servers keep their devices and migration state, per the vfio-user "Client Disconnection" rule) and
 * frees the memory.
 */
final class SocketDevices {

    private SocketDevices() {
    }

    /**
     * Connects to every socket, in order (the order is the devices' order in the migration, so both sides must
     * list their sockets in the same order).
     *
     * @param sockets the servers' sockets
     * @param guestMemory bytes of guest memory, a multiple of 4 KiB, equal on both sides
     * @param role source: each device must be RUNNING and is left untouched; destination: each device is reset,
     *        so it starts fresh whatever a previous client left behind
     * @param client what the clients propose in VERSION (see {@link #clientOptions})
     * @throws CliException naming the socket that failed; everything opened so far is closed again
     */
    static DeviceSide open(final List<Path> sockets, final long guestMemory, final DeviceSide.Role role,
            final ClientOptions client) {
        final Set<Path> seen = new HashSet<>();
        for (final Path p : sockets) {
            if (!seen.add(p.toAbsolutePath().normalize())) {
                throw new CliException("socket " + p + " is listed twice (one device per socket)");
            }
        }
        final DeviceSide side = DeviceSide.withMemory(guestMemory, role);
        try {
            for (final Path socket : sockets) {
                side.add(connect(socket, side, role, client));
            }
            return side;
        } catch (final RuntimeException e) {
            side.close();
            throw e;
        }
    }

    private static MigratingDevice connect(final Path socket, final DeviceSide side, final DeviceSide.Role role,
            final ClientOptions options) {
        VfioUserClient client = null;
        try {
            client = VfioUserClient.connect(socket, options);
            final VfioUserMigrationTarget target = new VfioUserMigrationTarget(client, () -> { });
            side.opened(target);
            client = null;
            if (role == DeviceSide.Role.DESTINATION) {
                target.reset();
            } else if (target.state() != MigrationState.RUNNING) {
                throw new CliException(socket + ": the device is in " + target.state() + ", not RUNNING (it was "
                        + "migrated away already, or is being migrated)");
            }
            final VfioUserClient c = target.client();
            c.mapDma(0, side.memory().shared(), true);
            return new MigratingDevice(describe(socket, c, target), target);
        } catch (final DeviceException e) {
            if (client != null) {
                client.close();
            }
            final String why = MigrateCommand.oneLine(e.getMessage());
            throw new CliException(why.contains(socket.toString()) ? why : socket + ": " + why);
        }
    }

    /** What the handshake compares: the name is the socket's file name; the rest comes from the server. */
    private static DeviceDescriptor describe(final Path socket, final VfioUserClient client,
            final VfioUserMigrationTarget target) throws DeviceException {
        final int regions = client.deviceInfo().numRegions();
        final List<RegionLayout> layout = new ArrayList<>(regions);
        for (int i = 0; i < regions; i++) {
            try (RegionDescription r = client.regionInfo(i)) {
                layout.add(new RegionLayout(i, r.info().size(), r.info().flags()));
            }
        }
        return new DeviceDescriptor(socket.getFileName().toString(), target.kind(), target.formatVersion(),
                target.flags().bits(), layout);
    }

    /** @return a plain vfio-user client's proposal ({@code --plain-vfio-user}), or Tern's, which a server may ignore */
    static ClientOptions clientOptions(final boolean plain) {
        return plain ? ClientOptions.plain() : ClientOptions.defaults();
    }
}
