package dev.tern.cli;

import dev.tern.migration.GuestMemory;
import dev.tern.migration.MigratingDevice;
import java.util.List;

/** One side's devices in a migration, whatever their transport, with the guest memory they all have mapped. */
interface DeviceSide extends AutoCloseable {

    /** Which side: a source keeps its devices as they are, a destination starts from a reset. */
    enum Role {
        SOURCE, DESTINATION
    }

    /** @return the devices, in the order named */
    List<MigratingDevice> devices();

    /** @return the guest memory every device has mapped at IOVA 0 */
    GuestMemory memory();

    /** Releases every device, then frees the memory. Never throws. */
    @Override
    void close();

    /** Opens the devices {@code choice} names. */
    static DeviceSide open(final DeviceChoice choice, final VfioRoots roots, final long guestMemory, final Role role,
            final boolean plain) {
        return choice.sockets != null
                ? SocketDevices.open(choice.sockets, guestMemory, role, SocketDevices.clientOptions(plain))
                : VfioDevices.open(roots, choice.vfio, guestMemory, role);
    }
}
