package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;

/**
 * A {@link LoadSink} that stages a small state in memory and hands it to the device only when RESUMING ends, so a
 * rejected state changes nothing. Writing more than the limit is ENOMEM, as mtty does.
 */
public final class BufferedSink implements LoadSink {

    /** Validates and installs a whole staged state. */
    @FunctionalInterface
    public interface Loader {
        /**
         * Validates and applies the whole staged state at RESUMING → STOP.
         *
         * @param state the staged bytes, positioned at 0
         * @throws DeviceException EINVAL if the state is invalid; nothing must be changed then
         */
        void load(ByteBuffer state) throws DeviceException;
    }

    private final ByteBuffer staged;
    private final Loader loader;

    /**
     * A sink that stages up to {@code maxBytes} and hands them to {@code loader} in one piece when the resuming session
     * ends.
     *
     * @param maxBytes the largest state accepted
     * @param loader validates and installs the state
     */
    public BufferedSink(final int maxBytes, final Loader loader) {
        this.staged = ByteBuffer.allocate(maxBytes);
        this.loader = loader;
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        if (src.remaining() > staged.remaining()) {
            throw new DeviceException(Errno.ENOMEM, "state longer than " + staged.capacity() + " bytes");
        }
        staged.put(src);
    }

    @Override
    public void apply() throws DeviceException {
        loader.load(staged.duplicate().flip());
    }
}
