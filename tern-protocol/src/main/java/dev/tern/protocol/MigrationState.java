package dev.tern.protocol;

import java.util.Locale;

/**
 * The v2 device migration states, {@code enum vfio_device_mig_state} of the kernel uAPI
 * ({@code include/uapi/linux/vfio.h}, kernel 5.18+; PRE_COPY states since 6.2).
 *
 * <p>The ordinal order equals the uAPI number, so {@link #uapi()} is also an index into the FSM tables. The
 * {@link #requiredFeatures} mask mirrors the kernel's {@code state_flags_table}: a state exists for a device
 * only if all its bits are in the device's migration flags. ERROR requires every bit ({@code ~0U}): it is never
 * "supported", so it can never be requested and never be a step of a path.
 */
public enum MigrationState {
    /** Failed; only VFIO_DEVICE_RESET leaves it (back to RUNNING). */
    ERROR(-1, "failed; must be reset"),
    /** No interrupts, DMA or external state change; internal state frozen. */
    STOP(MigrationFeature.STOP_COPY.bit(), "stopped: no DMA, no interrupts, internal state frozen"),
    /** Fully operational; the state after open and after reset. */
    RUNNING(MigrationFeature.STOP_COPY.bit(), "fully operational"),
    /** STOP, plus the internal state is readable on the data stream. */
    STOP_COPY(MigrationFeature.STOP_COPY.bit(), "stopped, serializing the final state"),
    /** Stopped, loading state written to the data stream. */
    RESUMING(MigrationFeature.STOP_COPY.bit(), "stopped, loading state from the data stream"),
    /** Running but initiating no new peer-to-peer DMA (still accepting it). */
    RUNNING_P2P(MigrationFeature.STOP_COPY.bit() | MigrationFeature.P2P.bit(),
            "running, initiating no peer-to-peer DMA"),
    /** Running and tracking internal changes; pre-copy data readable. */
    PRE_COPY(MigrationFeature.STOP_COPY.bit() | MigrationFeature.PRE_COPY.bit(),
            "running, serializing pre-copy state"),
    /** PRE_COPY with peer-to-peer DMA quiesced. */
    PRE_COPY_P2P(MigrationFeature.STOP_COPY.bit() | MigrationFeature.P2P.bit() | MigrationFeature.PRE_COPY.bit(),
            "running without initiating P2P DMA, serializing pre-copy state");

    /** Number of uAPI states ({@code VFIO_DEVICE_STATE_NR}). */
    public static final int COUNT = 8;

    private static final MigrationState[] BY_UAPI = values();

    private final int requiredFeatures;
    private final String meaning;

    MigrationState(final int requiredFeatures, final String meaning) {
        this.requiredFeatures = requiredFeatures;
        this.meaning = meaning;
    }

    /** {@return the uAPI number (ERROR=0 … PRE_COPY_P2P=7)} */
    public int uapi() {
        return ordinal();
    }

    /** {@return the migration flag bits a device must have for this state to exist ({@code -1} for ERROR)} */
    public int requiredFeatures() {
        return requiredFeatures;
    }

    /** {@return what a device does in this state, in a few words (uAPI comment)} */
    public String meaning() {
        return meaning;
    }

    /**
     * The saving group (uAPI): PRE_COPY, PRE_COPY_P2P and STOP_COPY share one data session and may only be the
     * first or last state of a combination transition, never an interior step — unless the path stays inside the
     * group (PRE_COPY → PRE_COPY_P2P → STOP_COPY, where the one session continues).
     *
     * @return true for PRE_COPY, PRE_COPY_P2P and STOP_COPY
     */
    public boolean isSaving() {
        return this == STOP_COPY || this == PRE_COPY || this == PRE_COPY_P2P;
    }

    /** {@return true if the device's internal state may advance (vCPU-visible operation) in this state} */
    public boolean isRunning() {
        return this == RUNNING || this == RUNNING_P2P || this == PRE_COPY || this == PRE_COPY_P2P;
    }

    /** {@return true in the states where the device must not initiate peer-to-peer DMA (or any DMA when stopped)} */
    public boolean isP2pQuiesced() {
        return this == RUNNING_P2P || this == PRE_COPY_P2P || !isRunning();
    }

    /**
     * {@return the state}
     *
     * @param uapi a uAPI number
     * @throws IllegalArgumentException for numbers outside 0..7, naming the value
     */
    public static MigrationState ofUapi(final int uapi) {
        if (uapi < 0 || uapi >= COUNT) {
            throw new IllegalArgumentException("unknown migration state " + Integer.toUnsignedString(uapi)
                    + " (the uAPI defines 0..7: ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY,"
                    + " PRE_COPY_P2P)");
        }
        return BY_UAPI[uapi];
    }

    /**
     * Parses a state as a person types it: the uAPI name without prefix in any case ({@code running_p2p},
     * {@code RUNNING-P2P}, {@code VFIO_DEVICE_STATE_STOP}) or its uAPI number.
     *
     * @param text the state as typed
     * @return the state
     * @throws IllegalArgumentException with a one-line message for anything else
     */
    public static MigrationState parse(final String text) {
        final String t = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            try {
                return ofUapi(Integer.parseInt(t));
            } catch (final NumberFormatException e) {
                return ofUapi(-1);
            }
        }
        final String name = t.startsWith("VFIO_DEVICE_STATE_") ? t.substring("VFIO_DEVICE_STATE_".length()) : t;
        for (final MigrationState s : BY_UAPI) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown migration state '" + text
                + "' (expected one of ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P"
                + " or 0..7)");
    }
}
