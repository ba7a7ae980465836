package dev.tern.migration;

import java.util.List;

/**
 * A migration that did not complete. {@link #sourceRecovered()} says whether the source devices are back in
 * RUNNING (any failure before the commit point), and {@link #sourceDevices()} what recovery observed of each one
 * afterwards, including whether its state survived.
 */
public final class MigrationFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Where the migration failed. */
    private final Phase phase;
    /** Whether the source devices run again with their state. */
    private final boolean sourceRecovered;
    private final transient List<SourceOutcome> sourceDevices;

    /**
     * A failure without per-device outcomes.
     *
     * @param phase where it failed
     * @param sourceRecovered true if the source devices run again with their state
     * @param message one line saying what happened
     * @param cause the underlying failure, or null
     */
    public MigrationFailedException(final Phase phase, final boolean sourceRecovered, final String message,
            final Throwable cause) {
        this(phase, sourceRecovered, message, cause, List.of());
    }

    /**
     * A failure with each source device's state as read back after recovery.
     *
     * @param phase where it failed
     * @param sourceRecovered true if the source devices run again
     * @param message one line saying what happened
     * @param cause the underlying failure, or null
     * @param sourceDevices each source device as observed after recovery (empty where the source did not recover)
     */
    public MigrationFailedException(final Phase phase, final boolean sourceRecovered, final String message,
            final Throwable cause, final List<SourceOutcome> sourceDevices) {
        super(message, cause);
        this.phase = phase;
        this.sourceRecovered = sourceRecovered;
        this.sourceDevices = List.copyOf(sourceDevices);
    }

    /** @return the first line of {@code e}'s message, or its class name: a reason for a one-line report */
    static String reason(final Throwable e) {
        final String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("").strip();
    }

    /** {@return the phase that failed} */
    public Phase phase() {
        return phase;
    }

    /** {@return true if the source devices are RUNNING again} */
    public boolean sourceRecovered() {
        return sourceRecovered;
    }

    /** {@return each source device after recovery, as read back (empty if recovery did not run)} */
    public List<SourceOutcome> sourceDevices() {
        return sourceDevices;
    }

    /**
     * {@return true if some source device's state is lost or unknown after recovery (see {@link SourceOutcome#lost()})}
     */
    public boolean stateLost() {
        return sourceDevices.stream().anyMatch(SourceOutcome::lost);
    }
}
