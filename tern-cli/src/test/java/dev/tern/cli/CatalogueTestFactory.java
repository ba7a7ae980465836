package dev.tern.cli;

import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceFactory;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.samples.Uart;

/**
 * A device factory from outside the samples' jar, registered only in this module's test resources
 * ({@code META-INF/services/dev.tern.device.DeviceFactory}): {@code serve} and {@code check} must find it by name.
 */
public final class CatalogueTestFactory implements DeviceFactory {
    static final String NAME = "catalogue-test";

    /** For {@link java.util.ServiceLoader}. */
    public CatalogueTestFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a uart registered by the CLI's tests";
    }

    @Override
    public MigratableDevice create(final DeviceConfig config) {
        return new Uart();
    }
}
