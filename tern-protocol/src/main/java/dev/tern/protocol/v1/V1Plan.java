package dev.tern.protocol.v1;

import java.util.ArrayList;
import java.util.List;

/**
 * The ordered driver actions one v1 {@code device_state} write triggers, computed from the bits that toggle, and
 * an executor that applies the v1 failure rule: a failing action leaves the device in the error state 110b, and
 * nothing after it runs (so a SAVING set in the same write as a failed deserialization is ignored).
 *
 * @param from the state before the write
 * @param to the state written
 * @param actions the actions in order
 */
public record V1Plan(V1State from, V1State to, List<V1Action> actions) {

    /** Copies the action list. */
    public V1Plan {
        actions = List.copyOf(actions);
    }

    /**
     * {@return the plan for writing {@code to} while in {@code from} (policy checks are separate)}
     *
     * @param from the state before the write
     * @param to the state written
     */
    public static V1Plan of(final V1State from, final V1State to) {
        final boolean runningOff = from.running() && !to.running();
        final boolean runningOn = !from.running() && to.running();
        final boolean savingOn = !from.saving() && to.saving();
        final List<V1Action> actions = new ArrayList<>();
        if (runningOff) {
            actions.add(V1Action.QUIESCE);
            actions.add(V1Action.FREEZE);
            if (from.saving() && to.saving()) {
                actions.add(V1Action.SERIALIZE_POST_COPY_REMAINDER);
            }
        }
        if (from.resuming() && !to.resuming()) {
            actions.add(V1Action.DESERIALIZE);
        }
        if (from.saving() && !to.saving()) {
            actions.add(V1Action.END_SAVING);
        }
        if (!from.resuming() && to.resuming()) {
            actions.add(V1Action.PREPARE_RESUMING);
        }
        if (savingOn) {
            actions.add(to.running() ? V1Action.SERIALIZE_PRE_COPY : V1Action.SERIALIZE_POST_COPY);
        }
        if (runningOn) {
            actions.add(V1Action.UNFREEZE);
            actions.add(V1Action.UNQUIESCE);
        }
        return new V1Plan(from, to, actions);
    }

    /** A driver performing one action; returns false (or throws) when the action fails. */
    @FunctionalInterface
    public interface Driver {
        /**
         * {@return true if the action succeeded}
         *
         * @param action the action to perform
         * @throws Exception when the action fails, as returning false does
         */
        boolean perform(V1Action action) throws Exception;
    }

    /**
     * What a write did.
     *
     * @param state the state the device is in afterwards ({@code to}, or the error state 110b)
     * @param performed the actions that succeeded, in order
     * @param failed the action that failed, or {@code null}
     * @param skipped the actions not run because an earlier one failed
     */
    public record Outcome(V1State state, List<V1Action> performed, V1Action failed, List<V1Action> skipped) {
    }

    /**
     * Runs the actions in order against a driver, stopping at the first failure (device → 110b).
     *
     * @param driver performs each action
     * @return the state reached and which actions ran, failed or were skipped
     */
    public Outcome execute(final Driver driver) {
        final List<V1Action> performed = new ArrayList<>();
        for (int i = 0; i < actions.size(); i++) {
            final V1Action action = actions.get(i);
            boolean ok;
            try {
                ok = driver.perform(action);
            } catch (final Exception e) {
                ok = false;
            }
            if (!ok) {
                return new Outcome(V1State.ERROR, List.copyOf(performed), action,
                        List.copyOf(actions.subList(i + 1, actions.size())));
            }
            performed.add(action);
        }
        return new Outcome(to, List.copyOf(performed), null, List.of());
    }
}
