package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import java.nio.ByteBuffer;

/**
 * A device's consumer of state bytes for one RESUMING session. It stages what it receives and touches the device
 * only in {@link #apply()}, so bad or truncated data leaves the device as it was (uAPI RESUMING→STOP: "final
 * validity and consistency check").
 */
public interface LoadSink {

    /**
     * Stages all remaining bytes of {@code src}.
     *
     * @param src the next stream bytes, from position to limit, consumed
     * @throws DeviceException if the data is already known to be invalid (EINVAL) or too long (ENOMEM)
     */
    void write(ByteBuffer src) throws DeviceException;

    /**
     * Checks that the staged state is complete and valid, then installs it in the device in one step.
     *
     * @throws DeviceException EINVAL if incomplete or invalid; the device is then unchanged
     */
    void apply() throws DeviceException;

    /** Drops the staged data (session abandoned: failure or reset). */
    default void discard() {
    }
}
