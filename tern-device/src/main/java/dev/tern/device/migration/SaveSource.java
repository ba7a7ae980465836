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
     * Hands out the next state bytes as views appended to {@code out} (no copy), at most {@code max}; the same
     * bytes, in the same pieces and with the same results, as {@link #read(ByteBuffer, boolean)} would copy. How long
     * a view stays valid, and why a running device may change it meanwhile: {@link MigrationStream#read(Gather,
     * int)}. This default copies through {@link #read(ByteBuffer, boolean)} into {@code out}'s scratch; a source
     * whose state is in native memory overrides it (as {@link PagedSaveSource} does).
     *
     * @param out receives the views
     * @param max bytes at most, at least 1
     * @param stopCopy as for {@link #read(ByteBuffer, boolean)}
     * @return bytes appended; 0 if nothing is available now (pre-copy only); -1 once the final state is complete
     * @throws DeviceException if the state cannot be produced
     */
    default int read(final Gather out, final int max, final boolean stopCopy) throws DeviceException {
        final int n = read(out.scratch(max), stopCopy);
        if (n > 0) {
            out.commit(n);
        }
        return n;
    }

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
