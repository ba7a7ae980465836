package dev.tern.migration;

import dev.tern.device.Device;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.vmm.RegionLayout;

/** Describes in-process SDK devices for the handshake. */
public final class LocalDevices {
    private LocalDevices() {
    }

    /**
     * {@return {@code device} as a migration participant named {@code name}, driven through {@code target}}
     *
     * @param name how reports name the device
     * @param device the device, for its region layout
     * @param target its migration interface (usually its engine)
     */
    public static MigratingDevice describe(final String name, final Device device, final MigrationTarget target) {
        return new MigratingDevice(new DeviceDescriptor(name, target.kind(), target.formatVersion(),
                target.flags().bits(), device.regions().stream().map(Region::info)
                        .map(LocalDevices::layout).toList()), target);
    }

    private static RegionLayout layout(final RegionInfo r) {
        return new RegionLayout(r.index(), r.size(), r.flags());
    }
}
