package dev.tern.device.sample;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.sys.Errno;
import java.util.List;

/** The sample devices by name, as the command line names them ({@code --device uart|dma-engine}). */
public final class SampleDevices {

    private SampleDevices() {
    }

    /** {@return the names {@link #create} accepts} */
    public static List<String> names() {
        return List.of(Uart.KIND, DmaEngine.KIND);
    }

    /**
     * Creates a sample device in its power-on state (dma-engine with {@link DmaEngineConfig#DEFAULT}).
     *
     * @param name the sample's name ({@code uart}, {@code dma-engine})
     * @return the device, owned by the caller
     * @throws DeviceException ENODEV for an unknown name; ENOMEM if device memory cannot be allocated
     */
    public static MigratableDevice create(final String name) throws DeviceException {
        return switch (name) {
            case Uart.KIND -> new Uart();
            case DmaEngine.KIND -> new DmaEngine(DmaEngineConfig.DEFAULT);
            default -> throw new DeviceException(Errno.ENODEV, "no sample device '" + name + "' (known: "
                    + String.join(", ", names()) + ")");
        };
    }

    /**
     * {@return {@link #create}d device wrapped in its migration engine}
     *
     * @param name the sample's name ({@code uart}, {@code dma-engine})
     * @throws DeviceException as {@link #create}
     */
    public static MigrationEngine open(final String name) throws DeviceException {
        return MigrationEngine.of(create(name));
    }
}
