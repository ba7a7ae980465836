package dev.tern.samples;

import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceException;
import dev.tern.device.DeviceFactory;
import dev.tern.device.migration.MigratableDevice;

/** The catalogue's {@code dma-engine}: a {@link DmaEngine} with {@link DeviceConfig#memory()} of device memory. */
public final class DmaEngineFactory implements DeviceFactory {

    /** For {@link java.util.ServiceLoader}. */
    public DmaEngineFactory() {
    }

    @Override
    public String name() {
        return DmaEngine.KIND;
    }

    @Override
    public String description() {
        return "a DMA engine with large on-device memory and a workload rewriting it (default 64 MiB)";
    }

    @Override
    public MigratableDevice create(final DeviceConfig config) throws DeviceException {
        return new DmaEngine(config.memory().isPresent() ? DmaEngineConfig.ofMemory(config.memory().getAsLong())
                : DmaEngineConfig.DEFAULT);
    }
}
