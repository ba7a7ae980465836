package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.migration.DeviceDescriptor;
import dev.tern.migration.GuestMemory;
import dev.tern.migration.MigratingDevice;
import dev.tern.migration.RegionLayout;
import dev.tern.protocol.MigrationState;
import dev.tern.vfio.KernelMigrationTarget;
import dev.tern.vfio.KernelRegion;
import dev.tern.vfio.VfioAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One side of a migration between kernel VFIO devices: every device opened through its group and container, the
 * guest memory (a memfd) DMA-mapped at IOVA 0 into each device's container ({@code VFIO_IOMMU_MAP_DMA}), a
 * destination's devices reset first, a source's required RUNNING. Mirrors {@link SocketDevices}.
 */
final class VfioDevices implements DeviceSide {

    private final GuestMemory memory;
    private final List<KernelMigrationTarget> targets = new ArrayList<>();
    private final List<MigratingDevice> devices = new ArrayList<>();

    private VfioDevices(final GuestMemory memory) {
        this.memory = memory;
    }

    /** @throws CliException naming the device that failed; everything opened so far is closed again */
    static VfioDevices open(final VfioRoots roots, final List<String> devs, final long guestMemory, final Role role) {
        final List<VfioAddress> found = roots.locate(devs);
        final GuestMemory memory;
        try {
            memory = GuestMemory.create("tern-" + role.name().toLowerCase(Locale.ROOT) + "-guest", guestMemory);
        } catch (final IOException e) {
            throw new CliException("cannot create " + guestMemory + " bytes of guest memory: " + e.getMessage());
        } catch (final IllegalArgumentException e) {
            throw new CliException("--guest-memory: " + e.getMessage());
        }
        final VfioDevices side = new VfioDevices(memory);
        try {
            for (final VfioAddress a : found) {
                side.add(roots, a, role);
            }
            return side;
        } catch (final RuntimeException e) {
            side.close();
            throw e;
        }
    }

    private void add(final VfioRoots roots, final VfioAddress a, final Role role) {
        final KernelMigrationTarget t = roots.open(a);
        targets.add(t);
        try {
            if (role == Role.DESTINATION) {
                t.reset();
            } else if (t.state() != MigrationState.RUNNING) {
                throw new CliException(a.input() + ": the device is in " + t.state() + ", not RUNNING");
            }
            t.device().container().mapDma(memory.segment(), 0, true);
            devices.add(new MigratingDevice(describe(a, t), t));
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

    @Override
    public List<MigratingDevice> devices() {
        return devices;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public void close() {
        for (final KernelMigrationTarget t : targets) {
            try {
                t.close();
            } catch (final RuntimeException e) {
                // Closing fds; the kernel releases the group and container with them.
            }
        }
        memory.close();
    }
}
