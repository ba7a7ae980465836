package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.migration.Liveness.Action;
import org.junit.jupiter.api.Test;

/** The heartbeat rule driven by explicit times in nanoseconds (no sleeping): timeout 1000, heartbeat every 250. */
class LivenessTest {

    private static final long T = 1_000;

    @Test
    void aQuietSideSendsAHeartbeatEveryQuarterTimeout() {
        final Liveness l = new Liveness(T, T, 0);
        long read = 0;
        assertThat(l.tick(100, ++read, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(250, ++read, 0)).isEqualTo(Action.HEARTBEAT);
        assertThat(l.tick(300, ++read, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(499, ++read, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(500, ++read, 0)).isEqualTo(Action.HEARTBEAT);
    }

    @Test
    void aSideThatWritesSendsNoHeartbeat() {
        final Liveness l = new Liveness(T, T, 0);
        for (long t = 100, n = 1; t < 3 * T; t += 100, n++) {
            assertThat(l.tick(t, n, n * 4096)).as("t=" + t).isEqualTo(Action.NONE);
        }
    }

    @Test
    void nothingReadForTheTimeoutGivesUpEvenWhileThisSideWrites() {
        final Liveness l = new Liveness(T, T, 0);
        assertThat(l.tick(500, 10, 100)).isEqualTo(Action.NONE);
        assertThat(l.tick(1400, 10, 200)).isEqualTo(Action.NONE);
        assertThat(l.tick(1501, 10, 300)).isEqualTo(Action.GIVE_UP);
    }

    @Test
    void aPeersHeartbeatsKeepTheSessionAliveThroughALongStep() {
        final Liveness l = new Liveness(T, T, 0);
        long read = 0;
        for (long t = 0; t < 20 * T; t += 250) {
            read += 24; // one HEARTBEAT record from the peer
            assertThat(l.tick(t, read, 0)).isNotEqualTo(Action.GIVE_UP);
        }
    }

    @Test
    void theConfiguredIntervalHoldsSoAPeerWithAShorterTimeoutHearsInTime() {
        final Liveness l = new Liveness(10 * T, 100, 0);
        assertThat(l.heartbeatNanos()).isEqualTo(100);
        assertThat(l.tick(99, 1, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(100, 2, 0)).isEqualTo(Action.HEARTBEAT);
    }

    @Test
    void noHeartbeatsWhenTurnedOffButTheTimeoutStillHolds() {
        final Liveness l = new Liveness(T, 0, 0);
        for (long t = 100; t <= T; t += 100) {
            assertThat(l.tick(t, 0, 0)).as("t=" + t).isEqualTo(Action.NONE);
        }
        assertThat(l.tick(T + 1, 0, 0)).isEqualTo(Action.GIVE_UP);
    }

    @Test
    void exactlyTheTimeoutIsStillAlive() {
        final Liveness l = new Liveness(T, T, 0);
        assertThat(l.tick(T, 0, 1)).isEqualTo(Action.NONE);
        assertThat(l.tick(T + 1, 0, 2)).isEqualTo(Action.GIVE_UP);
    }
}
