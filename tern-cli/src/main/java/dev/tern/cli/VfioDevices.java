package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.migration.DeviceDescriptor;
import dev.tern.migration.MigratingDevice;
import dev.tern.vmm.RegionLayout;
import dev.tern.protocol.MigrationState;
import dev.tern.vfio.KernelMigrationTarget;
import dev.tern.vfio.KernelRegion;
import dev.tern.vfio.VfioAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One side of a migration between kernel VFIO devices: every device opened through its group and container, the
 * guest memory DMA-mapped at IOVA 0 into each device's container ({@code VFIO_IOMMU_MAP_DMA}), a destination's
 * devices reset first, a source's required RUNNING. The kernel counterpart of {@link SocketDevices}.
 */
final class VfioDevices {

    private VfioDevices() {
    }

    /** @throws CliException naming the device that failed; everything opened so far is closed again */
    static DeviceSide open(final VfioRoots roots, final List<String> devs, final long guestMemory,
            final DeviceSide.Role role) {
        final List<VfioAddress> found = roots.locate(devs);
        final DeviceSide side = DeviceSide.withMemory(guestMemory, role);
        try {
            for (final VfioAddress a : found) {
                side.add(device(roots, a, side, role));
            }
            return side;
        } catch (final RuntimeException e) {
            side.close();
            throw e;
        }
    }

    private static MigratingDevice device(final VfioRoots roots, final VfioAddress a, final DeviceSide side,
            final DeviceSide.Role role) {
        final KernelMigrationTarget t = roots.open(a);
        side.opened(t);
        try {
            if (role == DeviceSide.Role.DESTINATION) {
                t.reset();
            } else if (t.state() != MigrationState.RUNNING) {
                throw new CliException(a.input() + ": the device is in " + t.state() + ", not RUNNING");
            }
            t.device().container().mapDma(side.memory().segment(), 0, true);
            return new MigratingDevice(describe(a, t), t);
        } catch (final DeviceException e) {
            throw new CliException(a.input() + ": " + MigrateCommand.oneLine(e.getMessage()));
        }
    }

    /** What the handshake compares: the name is the device as given; kind, flags and regions come from the kernel. */
    private static DeviceDescriptor describe(final VfioAddress a, final KernelMigrationTarget t)
            throws DeviceException {
        final int regions = t.device().info()[1];
        final List<RegionLayout> layout = new ArrayList<>(regions);
        for (int i = 0; i < regions; i++) {
            final KernelRegion r = t.device().region(i);
            layout.add(new RegionLayout(i, r.size(), r.flags()));
        }
        return new DeviceDescriptor(a.input(), t.kind(), t.formatVersion(), t.flags().bits(), layout);
    }
}
