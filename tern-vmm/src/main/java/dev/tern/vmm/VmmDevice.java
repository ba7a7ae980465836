package dev.tern.vmm;

import dev.tern.device.migration.MigrationTarget;
import java.util.List;

/**
 * A device one side has opened, with the guest memory DMA-mapped into it: what a migration's handshake needs to
 * describe it (the kind, format version and flags come from the target).
 *
 * @param name the device as the person named it: a socket's file name, or the VFIO device as given
 * @param target the migration interface (a vfio-user client or a kernel device)
 * @param regions the device's regions, as read from the server or the kernel
 */
public record VmmDevice(String name, MigrationTarget target, List<RegionLayout> regions) {
    /** Copies the region list. */
    public VmmDevice {
        regions = List.copyOf(regions);
    }
}
