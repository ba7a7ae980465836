package dev.tern.protocol;

import java.util.List;

/**
 * The answer to "take the device from one state to another": the arcs to perform, or the kernel's refusal.
 */
public sealed interface Transition {

    /** {@return the state the request starts from} */
    MigrationState from();

    /** {@return the requested state} */
    MigrationState to();

    /**
     * A permitted request and its arcs, shortest first to last; empty when {@code from == to} (a no-op that
     * succeeds, like the kernel's table diagonal).
     *
     * @param from the current state
     * @param to the requested state
     * @param arcs the single-step arcs in order
     */
    record Path(MigrationState from, MigrationState to, List<Arc> arcs) implements Transition {
        /** Copies the arc list. */
        public Path {
            arcs = List.copyOf(arcs);
        }

        /** {@return the states entered, in order (excluding {@code from})} */
        public List<MigrationState> states() {
            return arcs.stream().map(Arc::to).toList();
        }
    }

    /**
     * A request the kernel refuses with {@code -EINVAL}.
     *
     * @param from the current state
     * @param to the requested state
     * @param reason one line saying why
     */
    record Refused(MigrationState from, MigrationState to, String reason) implements Transition {
    }
}
