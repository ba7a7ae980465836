package dev.tern.device;

import dev.tern.device.migration.MigratableDevice;

/**
 * A kind of device the tools can create by name ({@code tern serve --device NAME}, {@code tern check --device
 * NAME}): the device catalogue's service. A jar offers its devices by naming its factories in
 * {@code META-INF/services/dev.tern.device.DeviceFactory} (class path) and in {@code provides
 * dev.tern.device.DeviceFactory with ...} (module path); {@link DeviceCatalog} finds them. An implementation has a
 * public no-argument constructor.
 */
public interface DeviceFactory {

    /** {@return the name the command line uses, unique in the catalogue (e.g. {@code uart})} */
    String name();

    /** {@return what the device is, in one line} */
    String description();

    /**
     * Creates a device in its power-on state.
     *
     * @param config what the command line set; a device ignores what does not apply to it
     * @return the device, owned by the caller
     * @throws DeviceException if the device cannot be created (e.g. ENOMEM for its memory)
     * @throws IllegalArgumentException if {@code config} is invalid for this device
     */
    MigratableDevice create(DeviceConfig config) throws DeviceException;
}
