package dev.tern.vmm;

import dev.tern.device.DeviceException;
import dev.tern.protocol.MigrationState;
import dev.tern.vfio.KernelMigrationTarget;
import dev.tern.vfio.KernelRegion;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfio.VfioDevice;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A side's kernel VFIO devices: every device opened through its group and container, the guest memory DMA-mapped
 * at IOVA 0 into each device's container ({@code VFIO_IOMMU_MAP_DMA}), a destination's devices reset first, a
 * source's required RUNNING. The kernel counterpart of {@link SocketDevices}.
 */
final class VfioDevices {

    private VfioDevices() {
    }

    /** @return the device at {@code a}, opened, checked or reset, with the side's memory mapped */
    static VmmDevice open(final VfioAddress a, final DeviceSide side, final Path devVfio) throws VmmException {
        final KernelMigrationTarget t = target(a, devVfio);
        side.opened(t);
        try {
            if (side.role() == DeviceSide.Role.DESTINATION) {
                t.reset();
            } else if (t.state() != MigrationState.RUNNING) {
                throw new VmmException(a.input() + ": the device is in " + t.state() + ", not RUNNING");
            }
            t.device().container().mapDma(side.memory().segment(), 0, true);
            return new VmmDevice(a.input(), t, regions(t));
        } catch (final DeviceException e) {
            throw new VmmException(a.input() + ": " + VmmException.oneLine(e.getMessage()));
        }
    }

    /**
     * @return the device at {@code a} as a migration target
     * @throws VmmException naming the device as given
     */
    private static KernelMigrationTarget target(final VfioAddress a, final Path devVfio) throws VmmException {
        try {
            return KernelMigrationTarget.open(VfioDevice.open(a, devVfio));
        } catch (final DeviceException e) {
            throw new VmmException(a.input() + ": " + VmmException.oneLine(e.getMessage()));
        }
    }

    /** The regions the handshake compares, as the kernel describes them. */
    private static List<RegionLayout> regions(final KernelMigrationTarget t) throws DeviceException {
        final int regions = t.device().info()[1];
        final List<RegionLayout> layout = new ArrayList<>(regions);
        for (int i = 0; i < regions; i++) {
            final KernelRegion r = t.device().region(i);
            layout.add(new RegionLayout(i, r.size(), r.flags()));
        }
        return layout;
    }
}
