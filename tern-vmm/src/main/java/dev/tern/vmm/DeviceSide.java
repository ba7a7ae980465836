package dev.tern.vmm;

import dev.tern.device.migration.MigrationTarget;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfiouser.client.ClientOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One side's devices in a migration, whatever their transport (vfio-user sockets or kernel VFIO devices), with the
 * guest memory (a memfd) they all have DMA-mapped at IOVA 0: this process plays the VMM. Closing releases every
 * target (vfio-user: disconnects, and the servers keep their devices and migration state, per the vfio-user "Client
 * Disconnection" rule; kernel: closes the fds), then frees the memory.
 *
 * <pre>{@code
 * try (DeviceSide side = DeviceSide.openSockets(List.of(Path.of("/tmp/a.sock")), 64L << 20,
 *         DeviceSide.Role.SOURCE, ClientOptions.defaults())) {
 *     // side.devices() and side.memory() are what a migration drives
 * }
 * }</pre>
 */
public final class DeviceSide implements AutoCloseable {

    /** Which side: a source keeps its devices as they are, a destination starts from a reset. */
    public enum Role {
        /** Each device must be RUNNING and is left untouched. */
        SOURCE,
        /** Each device is reset, so it starts fresh whatever a previous client left behind. */
        DESTINATION
    }

    private final GuestMemory memory;
    private final Role role;
    private final List<MigrationTarget> targets = new ArrayList<>();
    private final List<VmmDevice> devices = new ArrayList<>();

    private DeviceSide(final GuestMemory memory, final Role role) {
        this.memory = memory;
        this.role = role;
    }

    /**
     * {@return a side with its guest memory and no devices yet}
     *
     * @param guestMemory bytes of guest memory, a multiple of 4 KiB, equal on both sides
     * @param role which side this is
     * @throws VmmException if the memory cannot be created
     * @throws IllegalArgumentException if the size is not a positive multiple of 4 KiB
     */
    public static DeviceSide withMemory(final long guestMemory, final Role role) throws VmmException {
        try {
            return new DeviceSide(GuestMemory.create("tern-" + role.name().toLowerCase(Locale.ROOT) + "-guest",
                    guestMemory), role);
        } catch (final IOException e) {
            throw new VmmException("cannot create " + guestMemory + " bytes of guest memory: " + e.getMessage());
        }
    }

    /**
     * Connects to every socket, in order (the order is the devices' order in the migration, so both sides must list
     * their sockets in the same order), and DMA-maps {@code guestMemory} bytes of fresh guest memory at IOVA 0 into
     * each device.
     *
     * @param client what the clients propose in VERSION
     * @param sockets the servers' sockets, in the migration's device order
     * @param guestMemory bytes of guest memory, a multiple of 4 KiB, equal on both sides
     * @param role which side this is (a destination's devices are reset, a source's must run)
     * @return the side, its devices open and mapped
     * @throws VmmException naming the socket that failed (or listed twice); everything opened so far is closed
     * @throws IllegalArgumentException if the size is not a positive multiple of 4 KiB
     */
    public static DeviceSide openSockets(final List<Path> sockets, final long guestMemory, final Role role,
            final ClientOptions client) throws VmmException {
        SocketDevices.distinct(sockets);
        return open(withMemory(guestMemory, role), sockets, (socket, side) -> SocketDevices.connect(socket, side,
                client));
    }

    /**
     * Opens every kernel VFIO device through its group and container, in order, and DMA-maps {@code guestMemory}
     * bytes of fresh guest memory at IOVA 0 into each device's container ({@code VFIO_IOMMU_MAP_DMA}).
     *
     * @param devVfio the {@code /dev/vfio} directory
     * @param devices the kernel devices, in the migration's device order
     * @param guestMemory bytes of guest memory, a multiple of 4 KiB, equal on both sides
     * @param role which side this is
     * @return the side, its devices open and mapped
     * @throws VmmException naming the device that failed; everything opened so far is closed
     * @throws IllegalArgumentException if the size is not a positive multiple of 4 KiB
     */
    public static DeviceSide openKernel(final List<VfioAddress> devices, final Path devVfio, final long guestMemory,
            final Role role) throws VmmException {
        return open(withMemory(guestMemory, role), devices, (device, side) -> VfioDevices.open(device, side,
                devVfio));
    }

    /** Opens one device of a side, named by a {@code T} (a socket, a VFIO address). */
    @FunctionalInterface
    private interface Opener<T> {
        VmmDevice open(T name, DeviceSide side) throws VmmException;
    }

    /** Adds the devices {@code names} name to {@code side}, in order; on failure closes the side. */
    private static <T> DeviceSide open(final DeviceSide side, final List<T> names, final Opener<T> opener)
            throws VmmException {
        try {
            for (final T name : names) {
                side.add(opener.open(name, side));
            }
            return side;
        } catch (final VmmException | RuntimeException e) {
            side.close();
            throw e;
        }
    }

    /** Takes {@code target} in: it is closed with the side, whether or not it becomes a device. */
    void opened(final MigrationTarget target) {
        targets.add(target);
    }

    /** Adds a device, in migration order. */
    void add(final VmmDevice device) {
        devices.add(device);
    }

    /** {@return which side this is} */
    public Role role() {
        return role;
    }

    /** {@return the devices, in the order attached} */
    public List<VmmDevice> devices() {
        return Collections.unmodifiableList(devices);
    }

    /** {@return the guest memory every device has mapped at IOVA 0} */
    public GuestMemory memory() {
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
