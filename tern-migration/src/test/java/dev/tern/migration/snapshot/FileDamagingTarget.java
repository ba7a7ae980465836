package dev.tern.migration.snapshot;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StateChange;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A device that flips one byte of a file as it enters RESUMING (a file changed after the restore checked it), and
 * records every state it was asked for; everything else is the wrapped device's.
 */
final class FileDamagingTarget implements MigrationTarget {
    private final MigrationTarget inner;
    private final Path file;
    private final long offset;
    /** Every state requested, in order. */
    final List<MigrationState> requested = new ArrayList<>();

    FileDamagingTarget(final MigrationTarget inner, final Path file, final long offset) {
        this.inner = inner;
        this.file = file;
        this.offset = offset;
    }

    @Override
    public StateChange setState(final MigrationState target) throws DeviceException {
        requested.add(target);
        if (target == MigrationState.RESUMING) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                final ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, offset);
                ch.write(b.put(0, (byte) (b.get(0) ^ 0x20)).rewind(), offset);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return inner.setState(target);
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
