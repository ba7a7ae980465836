package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stream of one saving session: the engine's header, then the device's {@link SaveSource}. Reads run under
 * the engine's lock, so they never overlap a state change; a stale stream fails with ENODEV.
 */
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
        final ReentrantLock lock = engine.lock();
        lock.lock();
        try {
            engine.checkLive(this);
            final int n = Math.min(dst.remaining(), header.remaining());
            dst.put(dst.position(), header, header.position(), n).position(dst.position() + n);
            header.position(header.position() + n);
            if (!dst.hasRemaining()) {
                return n;
            }
            final boolean stopCopy = engine.inStopCopy();
            return total(n, source.read(dst, stopCopy), stopCopy);
        } catch (final RuntimeException e) {
            throw failed(e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(final Gather out, final int max) throws DeviceException {
        final ReentrantLock lock = engine.lock();
        lock.lock();
        try {
            engine.checkLive(this);
            final int n = Math.min(max, header.remaining());
            out.stage(header.array(), header.arrayOffset() + header.position(), n); // small, once per session
            header.position(header.position() + n);
            if (n == max) {
                return n;
            }
            final boolean stopCopy = engine.inStopCopy();
            return total(n, source.read(out, max - n, stopCopy), stopCopy);
        } catch (final RuntimeException e) {
            throw failed(e);
        } finally {
            lock.unlock();
        }
    }

    /** {@return a read's result: {@code n} header bytes, then the source's {@code r}} */
    private static int total(final int n, final int r, final boolean stopCopy) {
        if (r > 0) {
            return n + r;
        }
        return n > 0 || r == 0 || !stopCopy ? n : -1;
    }

    private DeviceException failed(final RuntimeException e) {
        return new DeviceException(Errno.EIO, engine.kind() + ": saving the state failed: " + e, e);
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
