package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;

/** The stream of one saving session: the engine's header, then the device's {@link SaveSource}. */
final class SavingSession implements MigrationStream {

    private final MigrationEngine engine;
    final ByteBuffer header;
    SaveSource source;

    SavingSession(final MigrationEngine engine, final ByteBuffer header, final SaveSource source) {
        this.engine = engine;
        this.header = header;
        this.source = source;
    }

    @Override
    public int read(final ByteBuffer dst) throws DeviceException {
        return engine.read(this, dst);
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        engine.checkLive(this);
        throw new DeviceException(Errno.EINVAL, "a saving stream cannot be written (uAPI: writes only in RESUMING)");
    }

    @Override
    public boolean isSaving() {
        return true;
    }

    @Override
    public boolean isLive() {
        return engine.isLive(this);
    }
}
