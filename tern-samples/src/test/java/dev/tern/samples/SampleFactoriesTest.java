package dev.tern.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceCatalog;
import dev.tern.device.DeviceConfig;
import org.junit.jupiter.api.Test;

/** The samples reach the catalogue through {@code META-INF/services}, in the order the command line lists them. */
class SampleFactoriesTest {

    @Test
    void theCatalogueFindsBothSamplesWithTheirDescriptions() {
        assertThat(DeviceCatalog.names()).containsSubsequence(Uart.KIND, DmaEngine.KIND);
        assertThat(DeviceCatalog.factories()).allSatisfy(f -> assertThat(f.description()).isNotBlank()
                .doesNotContain("\n"));
    }

    @Test
    void theDmaEngineTakesItsMemoryFromTheConfigOrItsDefault() throws Exception {
        try (DmaEngine sized = (DmaEngine) DeviceCatalog.create(DmaEngine.KIND, DeviceConfig.ofMemory(1L << 20));
                DmaEngine plain = (DmaEngine) DeviceCatalog.create(DmaEngine.KIND, DeviceConfig.DEFAULTS)) {
            assertThat(sized.config().memoryBytes()).isEqualTo(1L << 20);
            assertThat(plain.config()).isEqualTo(DmaEngineConfig.DEFAULT);
        }
        assertThat(DeviceCatalog.create(Uart.KIND, DeviceConfig.ofMemory(1L << 20))).isInstanceOf(Uart.class);
        assertThatThrownBy(() -> DeviceCatalog.create(DmaEngine.KIND, DeviceConfig.ofMemory(1000)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
