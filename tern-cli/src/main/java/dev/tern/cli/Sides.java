package dev.tern.cli;

import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vmm.DeviceSide;
import dev.tern.vmm.VmmException;

/** Opens the side the command line names ({@link DeviceChoice}) through the VMM library, errors as one line. */
final class Sides {

    private Sides() {
    }

    /**
     * Opens the devices {@code choice} names with {@code guestMemory} bytes of guest memory mapped into each.
     *
     * @throws CliException naming the device that failed; everything opened so far is closed again
     */
    static DeviceSide open(final DeviceChoice choice, final VfioRoots roots, final long guestMemory,
            final DeviceSide.Role role, final boolean plain) {
        try {
            return choice.sockets != null
                    ? DeviceSide.openSockets(choice.sockets, guestMemory, role, clientOptions(plain))
                    : DeviceSide.openKernel(roots.locate(choice.vfio), roots.dev, guestMemory, role);
        } catch (final VmmException e) {
            throw new CliException(e.getMessage());
        } catch (final IllegalArgumentException e) {
            throw new CliException("--guest-memory: " + e.getMessage());
        }
    }

    /** @return a plain vfio-user client's proposal ({@code --plain-vfio-user}), or Tern's, which a server may ignore */
    static ClientOptions clientOptions(final boolean plain) {
        return plain ? ClientOptions.plain() : ClientOptions.defaults();
    }
}
