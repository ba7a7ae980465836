package dev.tern.device;

import java.util.OptionalLong;

/**
 * What the command line can set for a device it creates through {@link DeviceFactory}.
 *
 * @param memory on-device memory in bytes ({@code tern serve --memory}); empty for the device's default
 */
public record DeviceConfig(OptionalLong memory) {

    /** Every setting at the device's default. */
    public static final DeviceConfig DEFAULTS = new DeviceConfig(OptionalLong.empty());

    /**
     * {@return a configuration with {@code bytes} of on-device memory}
     *
     * @param bytes on-device memory, for devices that have some
     */
    public static DeviceConfig ofMemory(final long bytes) {
        return new DeviceConfig(OptionalLong.of(bytes));
    }
}
