package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.Region;
import dev.tern.device.RegionHandler;
import dev.tern.device.migration.LoadSink;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.SaveSource;
import dev.tern.samples.Uart;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A uart whose BAR0 is replaced by one 8-byte register with the given behaviour, for tests that need a device to do
 * something specific while a region access is handled (DMA on the dispatcher thread, a failure).
 */
public final class Bar0Uart implements MigratableDevice, PciDevice {
    private final Uart uart = new Uart();
    private final String kind;
    private final List<Region> regions;
    private Supplier<SaveSource> stopCopy;

    /**
     * @param kind the device kind
     * @param bar0 makes the register's handler, given the uart (for its DMA space)
     */
    public Bar0Uart(final String kind, final Function<Uart, RegionHandler> bar0) {
        this.kind = kind;
        regions = new ArrayList<>(uart.regions());
        regions.set(0, Region.registers(0, 8, bar0.apply(uart), uart.gate()));
    }

    /**
     * From now on STOP_COPY saves what {@code source} makes (a fresh source per session) instead of the uart's state.
     *
     * @return this device
     */
    public Bar0Uart stopCopyFrom(final Supplier<SaveSource> source) {
        this.stopCopy = source;
        return this;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public List<Region> regions() {
        return List.copyOf(regions);
    }

    @Override
    public PciFunction function() {
        return uart.function();
    }

    @Override
    public MigrationFlags migrationFlags() {
        return uart.migrationFlags();
    }

    @Override
    public int formatVersion() {
        return uart.formatVersion();
    }

    @Override
    public void stop(final Arc arc) throws DeviceException {
        uart.stop(arc);
    }

    @Override
    public void run(final Arc arc) throws DeviceException {
        uart.run(arc);
    }

    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) throws DeviceException {
        return stopCopy != null ? stopCopy.get() : uart.startStopCopy(arc, preCopy);
    }

    @Override
    public LoadSink startResuming(final Arc arc) throws DeviceException {
        return uart.startResuming(arc);
    }

    @Override
    public long stopCopySize() {
        return uart.stopCopySize();
    }

    @Override
    public long checksum() {
        return uart.checksum();
    }

    @Override
    public void reset() throws DeviceException {
        uart.reset();
    }

    @Override
    public void close() {
        uart.close();
    }
}
