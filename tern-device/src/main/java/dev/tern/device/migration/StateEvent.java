package dev.tern.device.migration;

import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationState;
import java.util.Optional;

/**
 * One recorded state change of a {@link MigrationEngine}, for traces and timelines.
 *
 * @param from state before
 * @param to state after
 * @param arc the arc performed (empty for a reset)
 * @param cause why the state changed
 * @param startNanos clock reading when the hook started
 * @param endNanos clock reading when the state changed
 */
public record StateEvent(MigrationState from, MigrationState to, Optional<Arc> arc, Cause cause, long startNanos,
        long endNanos) {

    /** Why the state changed. */
    public enum Cause {
        /** An arc's hook succeeded. */
        ARC,
        /** An arc's hook failed; {@code to} is ERROR. */
        ARC_FAILED,
        /** VFIO_DEVICE_RESET succeeded ({@code to} is RUNNING) or failed ({@code to} is ERROR). */
        RESET
    }
}
