package dev.tern.guide;

import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceFactory;
import dev.tern.device.migration.MigratableDevice;

/** The guide's device in the device catalogue: {@code tern serve --device crc}, {@code tern check --device crc}. */
// tag::factory[]
public final class CrcFactory implements DeviceFactory {
    /** For {@link java.util.ServiceLoader}. */
    public CrcFactory() {
    }

    @Override
    public String name() {
        return "crc";
    }

    @Override
    public String description() {
        return "a CRC32C offload engine (the device guide's example)";
    }

    @Override
    public MigratableDevice create(final DeviceConfig config) {
        return new CrcDevice();
    }
}
// end::factory[]
