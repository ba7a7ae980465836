package dev.tern.protocol.v1;

import dev.tern.protocol.MigrationState;
import java.util.Locale;
import java.util.Optional;

/**
 * The eight combinations of the v1 {@code device_state} bits (kernel 5.8–5.17 migration region, spec §1.2):
 * {@code _RUNNING = 1}, {@code _SAVING = 2}, {@code _RESUMING = 4}; {@code 000b} is STOP.
 *
 * <p>Careful: v2 reuses the names with other numbers (RUNNING is 1 here, 2 in v2), hence a separate type.
 */
public enum V1State {
    /** 000b: stopped, neither saving nor resuming. */
    STOP("stopped, not saving or resuming"),
    /** 001b: running; the default state after open and after reset. */
    RUNNING("running (default state)"),
    /** 010b: stop-and-copy. */
    SAVING("stop-and-copy: stopped, saving the final state"),
    /** 011b: pre-copy. */
    PRE_COPY("pre-copy: running and saving"),
    /** 100b: resuming (stopped). */
    RESUMING("resuming: stopped, loading state"),
    /** 101b: invalid — running while resuming is not specified. */
    RUNNING_RESUMING("invalid: running while resuming is not specified"),
    /** 110b: the error state, reached only by a driver fault during a transition; only reset leaves it. */
    ERROR("error: a transition failed inside the driver; only reset leaves it"),
    /** 111b: invalid — saving and resuming conflict. */
    RUNNING_SAVING_RESUMING("invalid: saving and resuming conflict");

    /** The {@code _RUNNING} bit. */
    public static final int RUNNING_BIT = 1;
    /** The {@code _SAVING} bit. */
    public static final int SAVING_BIT = 2;
    /** The {@code _RESUMING} bit. */
    public static final int RESUMING_BIT = 4;
    /** {@code VFIO_DEVICE_STATE_MASK}: bits 3–31 are reserved. */
    public static final int MASK = 7;

    private static final V1State[] BY_BITS = values();
    private static final MigrationState[] V2 = {MigrationState.STOP, MigrationState.RUNNING,
        MigrationState.STOP_COPY, MigrationState.PRE_COPY, MigrationState.RESUMING, null, MigrationState.ERROR, null};

    private final String meaning;

    V1State(final String meaning) {
        this.meaning = meaning;
    }

    /** {@return the register bits (the ordinal)} */
    public int bits() {
        return ordinal();
    }

    /** {@return true if {@code _RUNNING} is set} */
    public boolean running() {
        return (bits() & RUNNING_BIT) != 0;
    }

    /** {@return true if {@code _SAVING} is set} */
    public boolean saving() {
        return (bits() & SAVING_BIT) != 0;
    }

    /** {@return true if {@code _RESUMING} is set} */
    public boolean resuming() {
        return (bits() & RESUMING_BIT) != 0;
    }

    /**
     * {@code VFIO_DEVICE_STATE_VALID}: with RESUMING set only 100b is valid; otherwise every combination.
     * The error state 110b is therefore not valid.
     *
     * @return true unless RESUMING is combined with another bit
     */
    public boolean isValid() {
        return !resuming() || this == RESUMING;
    }

    /**
     * {@code VFIO_DEVICE_STATE_IS_ERROR}: exactly SAVING|RESUMING (110b).
     *
     * @return true for 110b only
     */
    public boolean isError() {
        return this == ERROR;
    }

    /** {@return the three bits as text, e.g. {@code 011}} */
    public String binary() {
        return "" + (resuming() ? 1 : 0) + (saving() ? 1 : 0) + (running() ? 1 : 0);
    }

    /** {@return the bit names joined by {@code |}, e.g. {@code RUNNING|SAVING}, or {@code STOP}} */
    public String bitNames() {
        if (this == STOP) {
            return "STOP";
        }
        final StringBuilder sb = new StringBuilder();
        for (final String name : new String[] {running() ? "RUNNING" : null, saving() ? "SAVING" : null,
            resuming() ? "RESUMING" : null}) {
            if (name != null) {
                sb.append(sb.isEmpty() ? "" : "|").append(name);
            }
        }
        return sb.toString();
    }

    /** {@return what the combination means (v1 doc comment and the 2021 thread)} */
    public String meaning() {
        return meaning;
    }

    /** {@return the v2 state with the same meaning; present for the five valid states and the error state} */
    public Optional<MigrationState> toV2() {
        return Optional.ofNullable(V2[ordinal()]);
    }

    /**
     * {@return the v1 state with the same meaning; empty for the P2P states v1 cannot express}
     *
     * @param state a v2 state
     */
    public static Optional<V1State> fromV2(final MigrationState state) {
        for (int i = 0; i < V2.length; i++) {
            if (V2[i] == state) {
                return Optional.of(BY_BITS[i]);
            }
        }
        return Optional.empty();
    }

    /**
     * {@return the state of these low three bits}
     *
     * @param bits the {@code device_state} value
     * @throws IllegalArgumentException if a reserved bit (3-31) is set
     */
    public static V1State ofBits(final int bits) {
        if ((bits & ~MASK) != 0) {
            throw new IllegalArgumentException("v1 device_state 0x" + Integer.toHexString(bits)
                    + " sets reserved bits 3-31 (only _RUNNING=1, _SAVING=2, _RESUMING=4 exist)");
        }
        return BY_BITS[bits];
    }

    /**
     * Parses a state as a person types it: three binary digits ({@code 011}), {@code 0b011}, a number
     * ({@code 3}, {@code 0x3}), bit names joined by {@code |} ({@code RUNNING|SAVING}, {@code _RUNNING}) or an
     * enum name ({@code PRE_COPY}).
     *
     * @param text the state as typed
     * @return the state
     * @throws IllegalArgumentException with a one-line message for anything else
     */
    public static V1State parse(final String text) {
        final String t = text.strip().toUpperCase(Locale.ROOT);
        try {
            if (t.matches("[01]{3}")) {
                return ofBits(Integer.parseInt(t, 2));
            }
            if (t.matches("0B[01]{1,3}")) {
                return ofBits(Integer.parseInt(t.substring(2), 2));
            }
            if (t.matches("0X[0-9A-F]{1,8}")) {
                return ofBits(Integer.parseUnsignedInt(t.substring(2), 16));
            }
            if (t.matches("[0-9]{1,9}")) {
                return ofBits(Integer.parseInt(t));
            }
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("v1 state '" + text + "' is out of range");
        }
        for (final V1State s : BY_BITS) {
            if (s.name().equals(t.replace('-', '_'))) {
                return s;
            }
        }
        int bits = 0;
        for (final String part : t.split("\\|", -1)) {
            final String name = part.strip().replaceFirst("^(VFIO_DEVICE_STATE_(V1_)?)?_?", "");
            bits |= switch (name) {
                case "STOP" -> 0;
                case "RUNNING" -> RUNNING_BIT;
                case "SAVING" -> SAVING_BIT;
                case "RESUMING" -> RESUMING_BIT;
                default -> throw new IllegalArgumentException("unknown v1 state '" + text
                        + "' (use bits like 011, a number 0-7, or names like RUNNING|SAVING)");
            };
        }
        return ofBits(bits);
    }

    /** @return {@code 011b (RUNNING|SAVING)} */
    @Override
    public String toString() {
        return binary() + "b (" + bitNames() + ")";
    }
}
