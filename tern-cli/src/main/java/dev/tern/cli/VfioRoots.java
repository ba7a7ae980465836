package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.vfio.KernelMigrationTarget;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfio.VfioDevice;
import dev.tern.vfio.VfioLocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where kernel VFIO devices are looked up and opened: sysfs and {@code /dev/vfio}. Hidden options, so tests can
 * point them at a tree built in a temp dir; a person never needs them.
 */
final class VfioRoots {

    @Option(names = "--sysfs-root", hidden = true, defaultValue = "/sys", paramLabel = "DIR")
    Path sys;

    @Option(names = "--dev-vfio", hidden = true, defaultValue = "/dev/vfio", paramLabel = "DIR")
    Path dev;

    /** @return each device found in sysfs, in order; a device named twice or not found is one line, exit 2 */
    List<VfioAddress> locate(final List<String> devs) {
        final VfioLocator locator = new VfioLocator(sys);
        final List<VfioAddress> found = new ArrayList<>();
        final HashSet<String> seen = new HashSet<>();
        for (final String d : devs) {
            try {
                final VfioAddress a = locator.locate(d);
                if (!seen.add(a.name())) {
                    throw new CliException(d + ": device " + a.name() + " is listed twice");
                }
                found.add(a);
            } catch (final DeviceException e) {
                throw new CliException(MigrateCommand.oneLine(e.getMessage()));
            }
        }
        return found;
    }

    /** Opens {@code a} (container, group, device fd) as a migration target; failures are one line, exit 2. */
    KernelMigrationTarget open(final VfioAddress a) {
        try {
            return KernelMigrationTarget.open(VfioDevice.open(a, dev));
        } catch (final DeviceException e) {
            final String why = MigrateCommand.oneLine(e.getMessage());
            throw new CliException(a.input() + ": " + why);
        }
    }

    /** Opens {@code a}'s device fd only (no migration needed); failures are one line, exit 2. */
    VfioDevice device(final VfioAddress a) {
        try {
            return VfioDevice.open(a, dev);
        } catch (final DeviceException e) {
            final String why = MigrateCommand.oneLine(e.getMessage());
            throw new CliException(a.input() + ": " + why);
        }
    }
}
