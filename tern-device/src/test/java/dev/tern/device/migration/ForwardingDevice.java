package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.DeviceInfo;
import dev.tern.device.DmaSpace;
import dev.tern.device.Irq;
import dev.tern.device.Region;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import java.util.List;
import java.util.Optional;

/**
 * A {@link MigratableDevice} that passes every call to {@link #inner}, the hooks with defaults included (so the
 * wrapper behaves as the device whatever it overrides): a test device that changes one behaviour of a real one (a
 * load that installs nothing, a replaced BAR) overrides only that method.
 *
 * @param <D> the wrapped device's type, for the subclass's own use of it
 */
public abstract class ForwardingDevice<D extends MigratableDevice> implements MigratableDevice {
    /** The device every call not overridden goes to. */
    protected final D inner;

    /** @param inner the real device; closing this device closes it */
    protected ForwardingDevice(final D inner) {
        this.inner = inner;
    }

    @Override
    public String kind() {
        return inner.kind();
    }

    @Override
    public DeviceInfo info() {
        return inner.info();
    }

    @Override
    public List<Region> regions() {
        return inner.regions();
    }

    @Override
    public List<Irq> irqs() {
        return inner.irqs();
    }

    @Override
    public DmaSpace dma() {
        return inner.dma();
    }

    @Override
    public DeviceGate gate() {
        return inner.gate();
    }

    @Override
    public MigrationFlags migrationFlags() {
        return inner.migrationFlags();
    }

    @Override
    public int formatVersion() {
        return inner.formatVersion();
    }

    @Override
    public boolean acceptsFormatVersion(final int version) {
        return inner.acceptsFormatVersion(version);
    }

    @Override
    public void stop(final Arc arc) throws DeviceException {
        inner.stop(arc);
    }

    @Override
    public void run(final Arc arc) throws DeviceException {
        inner.run(arc);
    }

    @Override
    public void quiesceP2p(final Arc arc) throws DeviceException {
        inner.quiesceP2p(arc);
    }

    @Override
    public void unquiesceP2p(final Arc arc) throws DeviceException {
        inner.unquiesceP2p(arc);
    }

    @Override
    public SaveSource startPreCopy(final Arc arc) throws DeviceException {
        return inner.startPreCopy(arc);
    }

    @Override
    public void endPreCopy(final Arc arc, final SaveSource source) throws DeviceException {
        inner.endPreCopy(arc, source);
    }

    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) throws DeviceException {
        return inner.startStopCopy(arc, preCopy);
    }

    @Override
    public void endStopCopy(final Arc arc, final SaveSource source) throws DeviceException {
        inner.endStopCopy(arc, source);
    }

    @Override
    public LoadSink startResuming(final Arc arc) throws DeviceException {
        return inner.startResuming(arc);
    }

    @Override
    public void endResuming(final Arc arc, final LoadSink sink) throws DeviceException {
        inner.endResuming(arc, sink);
    }

    @Override
    public long stopCopySize() {
        return inner.stopCopySize();
    }

    @Override
    public long checksum() {
        return inner.checksum();
    }

    @Override
    public void reset() throws DeviceException {
        inner.reset();
    }

    @Override
    public void close() {
        inner.close();
    }
}
