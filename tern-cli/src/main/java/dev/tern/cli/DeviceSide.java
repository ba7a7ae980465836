package dev.tern.cli;

import dev.tern.device.migration.MigrationTarget;
import dev.tern.vmm.GuestMemory;
import dev.tern.migration.MigratingDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One side's devices in a migration, whatever their transport ({@link SocketDevices}, {@link VfioDevices}), with the
 * guest memory (a memfd) they all have DMA-mapped at IOVA 0. Closing releases every target, then frees the memory.
 */
final class DeviceSide implements AutoCloseable {

    /** Which side: a source keeps its devices as they are, a destination starts from a reset. */
    enum Role {
        SOURCE, DESTINATION
    }

    private final GuestMemory memory;
    private final List<MigrationTarget> targets = new ArrayList<>();
    private final List<MigratingDevice> devices = new ArrayList<>();

    private DeviceSide(final GuestMemory memory) {
        this.memory = memory;
    }

    /** Opens the devices {@code choice} names. */
    static DeviceSide open(final DeviceChoice choice, final VfioRoots roots, final long guestMemory, final Role role,
            final boolean plain) {
        return choice.sockets != null
                ? SocketDevices.open(choice.sockets, guestMemory, role, SocketDevices.clientOptions(plain))
                : VfioDevices.open(roots, choice.vfio, guestMemory, role);
    }

    /**
     * @param guestMemory bytes of guest memory, a multiple of 4 KiB, equal on both sides
     * @return a side with its guest memory and no devices yet
     * @throws CliException if the memory cannot be created
     */
    static DeviceSide withMemory(final long guestMemory, final Role role) {
        try {
            return new DeviceSide(GuestMemory.create("tern-" + role.name().toLowerCase(Locale.ROOT) + "-guest",
                    guestMemory));
        } catch (final IOException e) {
            throw new CliException("cannot create " + guestMemory + " bytes of guest memory: " + e.getMessage());
        } catch (final IllegalArgumentException e) {
            throw new CliException("--guest-memory: " + e.getMessage());
        }
    }

    /** Takes {@code target} in: it is closed with the side, whether or not it becomes a device. */
    void opened(final MigrationTarget target) {
        targets.add(target);
    }

    /** Adds a device, in migration order. */
    void add(final MigratingDevice device) {
        devices.add(device);
    }

    /** @return the devices, in the order named */
    List<MigratingDevice> devices() {
        return devices;
    }

    /** @return the guest memory every device has mapped at IOVA 0 */
    GuestMemory memory() {
        return memory;
    }

    /** Releases every target (vfio-user: disconnects; kernel: closes the fds), then frees the memory. Never throws. */
    @Override
    public void close() {
        for (final MigrationTarget t : targets) {
            try {
                t.close();
            } catch (final RuntimeException e) {
                // The connection or fd is gone either way; servers and the kernel clean up after it.
            }
        }
        memory.close();
    }
}
