package dev.tern.migration.snapshot;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.ForwardingTarget;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.StateChange;
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
final class FileDamagingTarget extends ForwardingTarget {
    private final Path file;
    private final long offset;
    /** Every state requested, in order. */
    final List<MigrationState> requested = new ArrayList<>();

    FileDamagingTarget(final MigrationTarget inner, final Path file, final long offset) {
        super(inner);
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
}
