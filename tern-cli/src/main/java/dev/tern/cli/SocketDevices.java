package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.migration.DeviceDescriptor;
import dev.tern.migration.GuestMemory;
import dev.tern.migration.MigratingDevice;
import dev.tern.migration.RegionLayout;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.RegionDescription;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One side of a migration between vfio-user devices: this process plays the VMM. It connects to every device,
 * creates the guest memory (a memfd) and DMA-maps it at IOVA 0 into each device, so device DMA and the
 * migration's dirty tracking see the same memory on both sides. Closing disconnects the clients (the servers keep
 * their devices and migration state, per the vfio-user "Client Disconnection" rule) and frees the memory.
 */
final class SocketDevices implements DeviceSide {

    private final GuestMemory memory;
    private final List<VfioUserMigrationTarget> targets;
    private final List<MigratingDevice> devices;

    private SocketDevices(final GuestMemory memory, final List<VfioUserMigrationTarget> targets,
            final List<MigratingDevice> devices) {
        this.memory = memory;
        this.targets = targets;
        this.devices = devices;
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
    static SocketDevices open(final List<Path> sockets, final long guestMemory, final DeviceSide.Role role,
            final ClientOptions client) {
        final Set<Path> seen = new HashSet<>();
        for (final Path p : sockets) {
            if (!seen.add(p.toAbsolutePath().normalize())) {
                throw new CliException("socket " + p + " is listed twice (one device per socket)");
            }
        }
        final GuestMemory memory;
        try {
            memory = GuestMemory.create("tern-" + role.name().toLowerCase(Locale.ROOT) + "-guest",
                    guestMemory);
        } catch (final IOException e) {
            throw new CliException("cannot create " + guestMemory + " bytes of guest memory: " + e.getMessage());
        } catch (final IllegalArgumentException e) {
            throw new CliException("--guest-memory: " + e.getMessage());
        }
        final List<VfioUserMigrationTarget> targets = new ArrayList<>();
        final List<MigratingDevice> devices = new ArrayList<>();
        final SocketDevices opened = new SocketDevices(memory, targets, devices);
        try {
            for (final Path socket : sockets) {
                devices.add(connect(socket, memory, role, client, targets));
            }
            return opened;
        } catch (final RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private static MigratingDevice connect(final Path socket, final GuestMemory memory, final DeviceSide.Role role,
            final ClientOptions options, final List<VfioUserMigrationTarget> targets) {
        VfioUserClient client = null;
        try {
            client = VfioUserClient.connect(socket, options);
            final VfioUserMigrationTarget target = new VfioUserMigrationTarget(client, () -> { });
            targets.add(target);
            client = null;
            if (role == DeviceSide.Role.DESTINATION) {
                target.reset();
            } else if (target.state() != MigrationState.RUNNING) {
                throw new CliException(socket + ": the device is in " + target.state() + ", not RUNNING (it was "
                        + "migrated away already, or is being migrated)");
            }
            final VfioUserClient c = target.client();
            c.mapDma(0, memory.shared(), true);
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

    @Override
    public List<MigratingDevice> devices() {
        return devices;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    /** Disconnects every client, then frees the guest memory. Never throws. */
    @Override
    public void close() {
        for (final VfioUserMigrationTarget t : targets) {
            try {
                t.close();
            } catch (final RuntimeException e) {
                // The connection is gone either way; the server cleans up on disconnect.
            }
        }
        memory.close();
    }
}
