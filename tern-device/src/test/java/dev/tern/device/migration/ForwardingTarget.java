package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import java.util.List;

/**
 * A {@link MigrationTarget} that passes every call to {@link #inner}: a test double that changes one behaviour of
 * a real target (a refused reset, a lenient state change, an absent query) overrides only that method.
 */
public abstract class ForwardingTarget implements MigrationTarget {
    /** The target every call not overridden goes to. */
    protected final MigrationTarget inner;

    /** @param inner the real target; closing this target closes it */
    protected ForwardingTarget(final MigrationTarget inner) {
        this.inner = inner;
    }

    @Override
    public String kind() {
        return inner.kind();
    }

    @Override
    public int formatVersion() {
        return inner.formatVersion();
    }

    @Override
    public MigrationFlags flags() {
        return inner.flags();
    }

    @Override
    public TargetCapabilities capabilities() {
        return inner.capabilities();
    }

    @Override
    public MigrationState state() {
        return inner.state();
    }

    @Override
    public StateChange setState(final MigrationState target) throws DeviceException {
        return inner.setState(target);
    }

    @Override
    public PrecopyInfo precopyInfo() throws DeviceException {
        return inner.precopyInfo();
    }

    @Override
    public long stopCopySize() throws DeviceException {
        return inner.stopCopySize();
    }

    @Override
    public void reset() throws DeviceException {
        inner.reset();
    }

    @Override
    public long startDirtyLogging(final long pageSize, final List<DmaRange> ranges) throws DeviceException {
        return inner.startDirtyLogging(pageSize, ranges);
    }

    @Override
    public void reportDirty(final long iova, final long length, final long pageSize, final long[] bitmapOut)
            throws DeviceException {
        inner.reportDirty(iova, length, pageSize, bitmapOut);
    }

    @Override
    public void stopDirtyLogging() throws DeviceException {
        inner.stopDirtyLogging();
    }

    @Override
    public long checksum() throws DeviceException {
        return inner.checksum();
    }

    @Override
    public void close() {
        inner.close();
    }
}
