package dev.tern.migration;

import dev.tern.protocol.MigrationState;
import dev.tern.json.JsonWriter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One source device after a failed migration's recovery, as observed afterwards (issue 9 item 9): the state read
 * back, whether recovery had to reset it, and what its checksum says about its state.
 *
 * @param name the device's name in the migration
 * @param state the state the device reported after recovery, or null if it could not be read
 * @param reset whether recovery fell back to DEVICE_RESET
 * @param integrity what is known of its state
 * @param note anything else recovery observed (a stream left partly read, why the recovery state failed), or empty
 */
public record SourceOutcome(String name, MigrationState state, boolean reset, Integrity integrity, String note) {

    /** What is known of a device's state after recovery. */
    public enum Integrity {
        /**
         * Intact: its checksum equals the one taken when the migration had frozen it, or it never stopped and was not
         * reset (no arc it went through touches the state).
         */
        INTACT("state intact"),
        /** Lost: its checksum changed, or it was reset and no checksum shows otherwise. */
        LOST("state LOST"),
        /** Not reset, but stopped during the migration and without a checksum to compare. */
        NOT_VERIFIABLE("state not verifiable"),
        /** It does not run again, or its state could not be read. */
        UNKNOWN("state unknown");

        private final String text;

        Integrity(final String text) {
            this.text = text;
        }
    }

    /**
     * {@return "running, state intact", "running after reset, state LOST", "running, state not verifiable",
     * "stopped (STOP_COPY)", "in ERROR" or "state unreadable", then the note if any}
     */
    public String describe() {
        final String what;
        if (state == MigrationState.RUNNING) {
            what = "running" + (reset ? " after reset" : "") + ", " + integrity.text;
        } else if (state == null) {
            what = "state unreadable";
        } else if (state == MigrationState.STOP || state == MigrationState.STOP_COPY) {
            what = "stopped (" + state + ")";
        } else {
            what = "in " + state;
        }
        return note.isEmpty() ? what : what + " (" + note + ")";
    }

    /** {@return true unless the device runs again with its state intact or, not reset, merely not verifiable} */
    public boolean lost() {
        return state != MigrationState.RUNNING || integrity == Integrity.LOST || integrity == Integrity.UNKNOWN;
    }

    /**
     * {@return one phrase for all: "a.sock running, state intact; b.sock running after reset, state LOST"}
     *
     * @param outcomes the source devices after recovery
     */
    public static String describe(final List<SourceOutcome> outcomes) {
        return outcomes.stream().map(o -> o.name + " " + o.describe()).collect(Collectors.joining("; "));
    }

    /** {@return the outcome as a JSON object (name, state, reset, integrity, note)} */
    public String toJson() {
        return "{\"name\":" + JsonWriter.quote(name) + ",\"state\":"
                + (state == null ? "null" : "\"" + state + "\"") + ",\"reset\":" + reset + ",\"integrity\":\""
                + integrity.name().toLowerCase(Locale.ROOT) + "\",\"lost\":" + lost() + ",\"note\":"
                + JsonWriter.quote(note) + "}";
    }
}
