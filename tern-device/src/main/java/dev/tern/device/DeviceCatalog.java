package dev.tern.device;

import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.sys.Errno;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The devices that can be created by name: every {@link DeviceFactory} on the class path or module path
 * ({@link ServiceLoader}), in the order found; of two factories with one name the first wins.
 */
public final class DeviceCatalog {

    private DeviceCatalog() {
    }

    /** {@return every factory found, one per name} */
    public static List<DeviceFactory> factories() {
        final List<DeviceFactory> found = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        for (final DeviceFactory f : ServiceLoader.load(DeviceFactory.class)) {
            if (names.add(f.name())) {
                found.add(f);
            }
        }
        return found;
    }

    /** {@return the names of {@link #factories()}} */
    public static List<String> names() {
        return factories().stream().map(DeviceFactory::name).toList();
    }

    /**
     * {@return the factory named {@code name}}
     *
     * @param name the device's name, as the command line gives it
     */
    public static Optional<DeviceFactory> find(final String name) {
        return factories().stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /**
     * Creates the device named {@code name}.
     *
     * @param name the device's name
     * @param config what the command line set
     * @return the device, in its power-on state
     * @throws DeviceException ENODEV naming the known devices for an unknown name; whatever the factory throws
     */
    public static MigratableDevice create(final String name, final DeviceConfig config) throws DeviceException {
        final Optional<DeviceFactory> f = find(name);
        if (f.isEmpty()) {
            throw new DeviceException(Errno.ENODEV, "no device '" + name + "' (known: " + String.join(", ", names())
                    + ")");
        }
        return f.get().create(config);
    }

    /**
     * {@return the device named {@code name}, at its defaults, wrapped in its migration engine}
     *
     * @param name the device's name
     * @throws DeviceException as {@link #create}
     */
    public static MigrationEngine open(final String name) throws DeviceException {
        return MigrationEngine.of(create(name, DeviceConfig.DEFAULTS));
    }
}
