package dev.tern.migration;

import java.time.Duration;

/**
 * When pre-copy stops and the switchover begins: a pure function of what the last round measured (QEMU's rule in
 * migration/ram.c, spec live-migration.md §1.1, plus the hard budget of issue 13 item 3). No clock, no I/O: the
 * decision table is tested row by row.
 *
 * <p>The estimated downtime is the data still to move at the measured bandwidth plus the measured time of the steps
 * that move no data (state arcs, load, commit round trips). Pre-copy has converged once that fits the convergence
 * target ({@code --downtime-limit}), every device's initial data is acknowledged by the destination (switchover-ack,
 * renewed after a REINIT), every device without PRECOPY_INFO has drained its last round, and the remaining bytes
 * have stopped shrinking (less than halved by the last round): while they still halve, another round costs less
 * than the one before and takes the downtime down to the steady dirty set, whatever the VM's size (issue 13 item 2;
 * QEMU stops at the first fit, so its downtime follows how long the rounds before took). At the round limit the
 * switchover goes ahead anyway, unless the estimate exceeds the hard budget ({@code --max-downtime}) and the operator
 * asked to abort then ({@code --on-no-convergence abort}).
 *
 * @param downtimeLimitNanos the convergence target
 * @param maxDowntimeNanos   the hard budget, 0 for none
 * @param maxRounds          the round limit
 * @param onNoConvergence    what to do at the round limit when the hard budget cannot be met
 */
public record SwitchoverPolicy(long downtimeLimitNanos, long maxDowntimeNanos, int maxRounds,
        NoConvergence onNoConvergence) {

    /** What {@code --on-no-convergence} says to do when the hard budget cannot be met. */
    public enum NoConvergence {
        /** Give up the migration; the source keeps running, intact. */
        ABORT,
        /** Switch over anyway and report the budget as exceeded. */
        SWITCH
    }

    /** The outcome of one round. */
    public enum Decision {
        /** Another round. */
        CONTINUE,
        /** Switch over now. */
        SWITCH,
        /** The round limit: wait for the acknowledgements still pending, then switch over. */
        AWAIT_ACKS_THEN_SWITCH,
        /** The hard budget cannot be met and the operator asked to abort. */
        ABORT
    }

    /**
     * What one round measured.
     *
     * @param round          the round just finished (1-based)
     * @param bandwidth      bytes per second moved so far in pre-copy
     * @param remainingBytes device and memory bytes a stop-copy would move now
     * @param fixedNanos     measured time of the switchover's steps that move no data
     * @param acksPending    some device's initial data (or its data after a REINIT) is not yet acknowledged
     * @param undrained      some device without PRECOPY_INFO had more data than its round could read
     * @param previousRemainingBytes the remaining bytes after the round before, -1 after round 1
     */
    public record Round(int round, double bandwidth, long remainingBytes, long fixedNanos, boolean acksPending,
            boolean undrained, long previousRemainingBytes) {
        /** @return true while the last round at least halved what remains */
        boolean shrinking() {
            return previousRemainingBytes >= 0 && remainingBytes * 2 < previousRemainingBytes;
        }
    }

    /** Checks the values. */
    public SwitchoverPolicy {
        if (downtimeLimitNanos < 0 || maxDowntimeNanos < 0 || maxRounds < 1 || onNoConvergence == null) {
            throw new IllegalArgumentException("invalid switchover policy");
        }
    }

    /**
     * {@return the policy the options describe}
     *
     * @param options the migration's options
     */
    public static SwitchoverPolicy of(final MigrationOptions options) {
        return new SwitchoverPolicy(options.downtimeLimit().toNanos(), options.maxDowntime().toNanos(),
                options.maxRounds(), options.onNoConvergence());
    }

    /**
     * {@return the downtime a switchover now would take: remaining bytes at the bandwidth, plus the fixed steps}
     *
     * @param r what the last round measured
     */
    public static long estimateNanos(final Round r) {
        final double data = r.bandwidth() <= 0 ? (r.remainingBytes() == 0 ? 0 : Double.MAX_VALUE)
                : r.remainingBytes() * 1e9 / r.bandwidth();
        return (long) Math.min(Long.MAX_VALUE / 2.0, data) + r.fixedNanos();
    }

    /**
     * {@return what to do after round {@code r}}
     *
     * @param r what the last round measured
     */
    public Decision decide(final Round r) {
        final long estimate = estimateNanos(r);
        // Round 1 sends everything, so its dirty count says nothing about the dirty rate; only from round 2 on does
        // the estimate measure what the guest and devices dirty while a round runs.
        if (r.round() >= 2 && !r.acksPending() && !r.undrained() && estimate <= downtimeLimitNanos
                && !r.shrinking()) {
            return Decision.SWITCH;
        }
        if (r.round() < maxRounds) {
            return Decision.CONTINUE;
        }
        if (overBudget(estimate) && onNoConvergence == NoConvergence.ABORT) {
            return Decision.ABORT;
        }
        return r.acksPending() ? Decision.AWAIT_ACKS_THEN_SWITCH : Decision.SWITCH;
    }

    /**
     * {@return true if a downtime of {@code estimateNanos} breaks the hard budget}
     *
     * @param estimateNanos an estimated downtime
     */
    public boolean overBudget(final long estimateNanos) {
        return maxDowntimeNanos > 0 && estimateNanos > maxDowntimeNanos;
    }

    /** {@return the hard budget, or null for none} */
    public Duration maxDowntime() {
        return maxDowntimeNanos == 0 ? null : Duration.ofNanos(maxDowntimeNanos);
    }
}
