package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.migration.SwitchoverPolicy.Decision;
import dev.tern.migration.SwitchoverPolicy.NoConvergence;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The switchover decision, row by row: a pure function of what a round measured. */
class SwitchoverPolicyTest {

    private static final long MS = 1_000_000L;
    private static final long MB = 1_000_000L;

    @ParameterizedTest(name = "{0}")
    @CsvSource(textBlock = """
            # case, round, MB/s, remaining MB, fixed ms, acks pending, undrained, max rounds, max downtime ms,
            #   on no convergence, previous remaining MB, expected
            round 1 never switches (no dirty rate yet), 1, 1000, 0, 0, false, false, 30, 0, SWITCH, -1, CONTINUE
            fits the 300 ms target, 2, 1000, 200, 0, false, false, 30, 0, SWITCH, 200, SWITCH
            exactly the target, 2, 1000, 300, 0, false, false, 30, 0, SWITCH, 300, SWITCH
            just over the target, 2, 1000, 301, 0, false, false, 30, 0, SWITCH, 301, CONTINUE
            fixed steps count against the target, 2, 1000, 200, 101, false, false, 30, 0, SWITCH, 200, CONTINUE
            slow link: same bytes do not fit, 5, 100, 200, 0, false, false, 30, 0, SWITCH, 200, CONTINUE
            fits but a switchover-ack is pending, 3, 1000, 10, 0, true, false, 30, 0, SWITCH, 10, CONTINUE
            fits but a REINIT took the ack back, 9, 1000, 10, 0, true, false, 30, 0, SWITCH, 10, CONTINUE
            fits but a device did not drain, 3, 1000, 10, 0, false, true, 30, 0, SWITCH, 10, CONTINUE
            fits but still halving: one more round, 2, 1000, 10, 0, false, false, 30, 0, SWITCH, 100, CONTINUE
            fits and no longer halving, 5, 1000, 10, 0, false, false, 30, 0, SWITCH, 19, SWITCH
            still halving at the round limit, 30, 1000, 10, 0, false, false, 30, 0, SWITCH, 100, SWITCH
            round limit with acks pending, 30, 1000, 10, 0, true, false, 30, 0, SWITCH, 10, AWAIT_ACKS_THEN_SWITCH
            round limit not converged, 30, 100, 900, 0, false, false, 30, 0, SWITCH, 900, SWITCH
            round limit within the hard budget, 30, 100, 90, 0, false, false, 30, 1000, ABORT, 90, SWITCH
            round limit over the budget: abort, 30, 100, 900, 0, false, false, 30, 1000, ABORT, 900, ABORT
            round limit over the budget: switch, 30, 100, 900, 0, false, false, 30, 1000, SWITCH, 900, SWITCH
            over budget before the limit continues, 29, 100, 900, 0, false, false, 30, 1000, ABORT, 900, CONTINUE
            over budget by the fixed steps alone, 30, 1000, 0, 1200, false, false, 30, 1000, ABORT, 0, ABORT
            nothing measured and nothing left, 2, 0, 0, 0, false, false, 30, 0, SWITCH, 0, SWITCH
            nothing measured but bytes left, 2, 0, 1, 0, false, false, 30, 0, SWITCH, 1, CONTINUE
            round limit 1 switches at once, 1, 1000, 900, 0, false, false, 1, 0, SWITCH, -1, SWITCH
            """)
    void decides(final String name, final int round, final long mbPerSecond, final long remainingMb,
            final long fixedMs, final boolean acksPending, final boolean undrained, final int maxRounds,
            final long maxDowntimeMs, final NoConvergence onNo, final long previousMb, final Decision expected) {
        final SwitchoverPolicy policy = new SwitchoverPolicy(300 * MS, maxDowntimeMs * MS, maxRounds, onNo);
        final SwitchoverPolicy.Round r = new SwitchoverPolicy.Round(round, mbPerSecond * MB, remainingMb * MB,
                fixedMs * MS, acksPending, undrained, previousMb < 0 ? -1 : previousMb * MB);
        assertThat(policy.decide(r)).as(name).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            # MB/s, remaining MB, fixed ms, estimate ms
              1000, 300,          0,        300
              1000, 300,          5,        305
              250,  100,          0,        400
              1000, 0,            7,        7
            """)
    void estimatesTheDowntimeFromBandwidthRemainingBytesAndFixedSteps(final long mbPerSecond, final long remainingMb,
            final long fixedMs, final long expectedMs) {
        assertThat(SwitchoverPolicy.estimateNanos(new SwitchoverPolicy.Round(2, mbPerSecond * MB, remainingMb * MB,
                fixedMs * MS, false, false, -1))).isEqualTo(expectedMs * MS);
    }
}
