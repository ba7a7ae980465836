package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;

/**
 * The stream of one RESUMING session: collects and checks the engine's header, then hands the rest to the
 * device's {@link LoadSink}. After any rejected write the session is poisoned, so RESUMING→STOP fails.
 */
final class ResumingSession implements MigrationStream {

    private final MigrationEngine engine;
    private final MigrationHooks hooks;
    final LoadSink sink;
    private final ByteBuffer header = ByteBuffer.allocate(StreamHeader.FIXED_LENGTH + StreamHeader.MAX_KIND);
    private int headerLength = StreamHeader.FIXED_LENGTH;
    private boolean headerDone;
    private DeviceException failure;
    private long bytes;

    ResumingSession(final MigrationEngine engine, final MigrationHooks hooks, final LoadSink sink) {
        this.engine = engine;
        this.hooks = hooks;
        this.sink = sink;
    }

    @Override
    public int read(final ByteBuffer dst) throws DeviceException {
        engine.checkLive(this);
        throw new DeviceException(Errno.EINVAL, "a resuming stream cannot be read (uAPI: reads only while saving)");
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        engine.write(this, src);
    }

    @Override
    public boolean isSaving() {
        return false;
    }

    @Override
    public boolean isLive() {
        return engine.isLive(this);
    }

    /** Called by the engine under its lock. */
    void accept(final ByteBuffer src) throws DeviceException {
        if (failure != null) {
            throw new DeviceException(Errno.EINVAL, "an earlier write was rejected: " + failure.getMessage());
        }
        try {
            bytes += src.remaining();
            while (!headerDone && src.hasRemaining()) {
                final int n = Math.min(src.remaining(), headerLength - header.position());
                header.put(header.position(), src, src.position(), n);
                header.position(header.position() + n);
                src.position(src.position() + n);
                if (header.position() == StreamHeader.FIXED_LENGTH && headerLength == StreamHeader.FIXED_LENGTH) {
                    headerLength = StreamHeader.totalLength(header.duplicate().flip());
                }
                if (header.position() == headerLength && headerLength > StreamHeader.FIXED_LENGTH) {
                    StreamHeader.decode(header.duplicate().flip()).checkLoadableBy(hooks);
                    headerDone = true;
                }
            }
            if (src.hasRemaining()) {
                sink.write(src);
            }
        } catch (final DeviceException e) {
            failure = e;
            throw e;
        }
    }

    /** Called on RESUMING→STOP before the device applies the state. */
    void checkComplete() throws DeviceException {
        if (failure != null) {
            throw new DeviceException(Errno.EINVAL, "stream rejected during RESUMING: " + failure.getMessage());
        }
        if (!headerDone) {
            throw new DeviceException(Errno.EINVAL, "truncated stream: " + bytes + " bytes, header incomplete");
        }
    }
}
