package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.Region;
import dev.tern.device.RegionHandler;
import dev.tern.device.migration.ForwardingDevice;
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
public final class Bar0Uart extends ForwardingDevice<Uart> {
    private final String kind;
    private final List<Region> regions;
    private Supplier<SaveSource> stopCopy;
    private Supplier<SaveSource> preCopy;

    /**
     * @param kind the device kind
     * @param bar0 makes the register's handler, given the uart (for its DMA space)
     */
    public Bar0Uart(final String kind, final Function<Uart, RegionHandler> bar0) {
        super(new Uart());
        this.kind = kind;
        regions = new ArrayList<>(inner.regions());
        regions.set(0, Region.registers(0, 8, bar0.apply(inner), inner.gate()));
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

    /**
     * From now on the device has PRE_COPY, whose sessions save what {@code source} makes (a fresh source per session).
     *
     * @return this device
     */
    public Bar0Uart preCopyFrom(final Supplier<SaveSource> source) {
        this.preCopy = source;
        return this;
    }

    @Override
    public MigrationFlags migrationFlags() {
        return preCopy != null ? MigrationFlags.PRE_COPY : inner.migrationFlags();
    }

    @Override
    public SaveSource startPreCopy(final Arc arc) throws DeviceException {
        return preCopy != null ? preCopy.get() : inner.startPreCopy(arc);
    }

    @Override
    public void endPreCopy(final Arc arc, final SaveSource source) throws DeviceException {
        if (preCopy == null) {
            inner.endPreCopy(arc, source);
        }
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
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) throws DeviceException {
        return stopCopy != null ? stopCopy.get() : inner.startStopCopy(arc, preCopy);
    }
}
