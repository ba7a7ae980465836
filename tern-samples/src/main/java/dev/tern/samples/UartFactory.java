package dev.tern.samples;

import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceFactory;
import dev.tern.device.migration.MigratableDevice;

/** The catalogue's {@code uart}: a {@link Uart} (configuration does not apply). */
public final class UartFactory implements DeviceFactory {

    /** For {@link java.util.ServiceLoader}. */
    public UartFactory() {
    }

    @Override
    public String name() {
        return Uart.KIND;
    }

    @Override
    public String description() {
        return "a 16550A uart (PCI serial port) with a migratable register state";
    }

    @Override
    public MigratableDevice create(final DeviceConfig config) {
        return new Uart();
    }
}
