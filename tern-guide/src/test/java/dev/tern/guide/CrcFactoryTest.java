package dev.tern.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DeviceCatalog;
import dev.tern.device.DeviceConfig;
import dev.tern.device.migration.MigratableDevice;
import org.junit.jupiter.api.Test;

/** The catalogue finds the guide's device through its META-INF/services entry, as `tern serve --device crc` does. */
class CrcFactoryTest {
    @Test
    void theCatalogueCreatesTheGuidesDeviceByName() throws Exception {
        assertThat(DeviceCatalog.names()).contains("crc");
        try (MigratableDevice device = DeviceCatalog.create("crc", DeviceConfig.DEFAULTS)) {
            assertThat(device).isInstanceOf(CrcDevice.class);
            assertThat(device.kind()).isEqualTo("crc");
        }
    }
}
