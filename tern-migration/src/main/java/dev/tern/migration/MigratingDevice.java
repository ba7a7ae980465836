package dev.tern.migration;

import dev.tern.device.migration.MigrationTarget;
import dev.tern.vmm.VmmDevice;
import java.util.List;

/**
 * A device taking part in a migration: how the handshake describes it, and the target the orchestrator drives
 * (an in-process SDK engine or a vfio-user device through the client — the orchestrator cannot tell them apart).
 *
 * @param descriptor what the compatibility handshake compares
 * @param target the migration interface
 */
public record MigratingDevice(DeviceDescriptor descriptor, MigrationTarget target) {

    /**
     * {@return {@code device} as a migration participant, described by its name, regions and target}
     *
     * @param device a device one side has opened
     */
    public static MigratingDevice of(final VmmDevice device) {
        final MigrationTarget t = device.target();
        return new MigratingDevice(new DeviceDescriptor(device.name(), t.kind(), t.formatVersion(), t.flags().bits(),
                device.regions()), t);
    }

    /**
     * {@return every device of a side ({@code DeviceSide.devices()}), in order}
     *
     * @param devices the side's devices
     */
    public static List<MigratingDevice> ofAll(final List<VmmDevice> devices) {
        return devices.stream().map(MigratingDevice::of).toList();
    }
}
