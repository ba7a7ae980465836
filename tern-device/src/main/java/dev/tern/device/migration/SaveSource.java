package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import java.nio.ByteBuffer;

/**
 * A device's producer of state bytes for one saving session (after the engine's stream header).
 *
 * <p>The engine calls it under its lock, so calls never overlap a state change.
 */
public interface SaveSource {

    /**
     * Copies the next state bytes into {@code dst}.
     *
     * @param stopCopy false while pre-copying (the device runs; send what is available), true once the device is
     *        stopped in STOP_COPY (send everything still missing, then report the end)
     * @param dst receives the bytes, from its position
     * @return bytes written; 0 if nothing is available now (pre-copy only); -1 once the final state is complete
     *         (stop-copy only)
     * @throws DeviceException if the state cannot be produced
     */
    int read(ByteBuffer dst, boolean stopCopy) throws DeviceException;

    /**
     * {@return pre-copy progress (only asked in the PRE_COPY states). A device that re-initialises mid-pre-copy (new
     * initial data: its whole state must be sent again, e.g. after a firmware or mode change) counts the new
     * initial data in {@code initialBytes}, restarts {@code dirtyBytes} from 0 and sets
     * {@link PrecopyInfo#reinit()} in the first answer after it (once): the orchestrator then waits for the
     * destination to acknowledge the new initial data before switching over.}
     */
    PrecopyInfo precopyInfo();

    /** Releases what the session holds; called when the session ends or is abandoned. */
    default void close() {
    }
}
