package dev.tern.vmm;

import dev.tern.device.DeviceException;
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
 * A side's devices behind vfio-user sockets: each connected, a destination's reset, a source's required RUNNING,
 * and the guest memory DMA-mapped at IOVA 0 into each one (so device DMA and the migration's dirty tracking see
 * the same memory on both sides).
 */
final class SocketDevices {

    private SocketDevices() {
    }

    /** @throws VmmException if a socket is listed twice (one device per socket) */
    static void distinct(final List<Path> sockets) throws VmmException {
        final Set<Path> seen = new HashSet<>();
        for (final Path p : sockets) {
            if (!seen.add(p.toAbsolutePath().normalize())) {
                throw new VmmException("socket " + p + " is listed twice (one device per socket)");
            }
        }
    }

    /** @return the device at {@code socket}, connected, checked or reset, with the side's memory mapped */
    static VmmDevice connect(final Path socket, final DeviceSide side, final ClientOptions options)
            throws VmmException {
        VfioUserClient client = null;
        try {
            client = VfioUserClient.connect(socket, options);
            final VfioUserMigrationTarget target = new VfioUserMigrationTarget(client, () -> { });
            side.opened(target);
            client = null;
            if (side.role() == DeviceSide.Role.DESTINATION) {
                target.reset();
            } else if (target.state() != MigrationState.RUNNING) {
                throw new VmmException(socket + ": the device is in " + target.state() + ", not RUNNING (it was "
                        + "migrated away already, or is being migrated)");
            }
            final VfioUserClient c = target.client();
            c.mapDma(0, side.memory().shared(), true);
            return new VmmDevice(socket.getFileName().toString(), target, regions(c));
        } catch (final DeviceException e) {
            if (client != null) {
                client.close();
            }
            final String why = VmmException.oneLine(e.getMessage());
            throw new VmmException(why.contains(socket.toString()) ? why : socket + ": " + why);
        }
    }

    /** The regions the handshake compares, as the server describes them. */
    private static List<RegionLayout> regions(final VfioUserClient client) throws DeviceException {
        final int regions = client.deviceInfo().numRegions();
        final List<RegionLayout> layout = new ArrayList<>(regions);
        for (int i = 0; i < regions; i++) {
            try (RegionDescription r = client.regionInfo(i)) {
                layout.add(new RegionLayout(i, r.info().size(), r.info().flags()));
            }
        }
        return layout;
    }
}
