package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.migration.Liveness.Action;
import org.junit.jupiter.api.Test;

/** The heartbeat rule driven by explicit times in nanoseconds (no sleeping): timeout 1000, heartbeat every 250. */
class LivenessTest {

    private static final long T = 1_000;

    @Test
    void aQuietSideSendsAHeartbeatEveryQuarterTimeout() {
        final Liveness l = new Liveness(T, 0);
        long read = 0;
        assertThat(l.tick(100, ++read, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(250, ++read, 0)).isEqualTo(Action.HEARTBEAT);
        assertThat(l.tick(300, ++read, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(499, ++read, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(500, ++read, 0)).isEqualTo(Action.HEARTBEAT);
    }

    @Test
    void aSideThatWritesSendsNoHeartbeat() {
        final Liveness l = new Liveness(T, 0);
        for (long t = 100, n = 1; t < 3 * T; t += 100, n++) {
            assertThat(l.tick(t, n, n * 4096)).as("t=" + t).isEqualTo(Action.NONE);
        }
    }

    @Test
    void nothingReadForTheTimeoutGivesUpEvenWhileThisSideWrites() {
        final Liveness l = new Liveness(T, 0);
        assertThat(l.tick(500, 10, 100)).isEqualTo(Action.NONE);
        assertThat(l.tick(1400, 10, 200)).isEqualTo(Action.NONE);
        assertThat(l.tick(1501, 10, 300)).isEqualTo(Action.GIVE_UP);
    }

    @Test
    void aPeersHeartbeatsKeepTheSessionAliveThroughALongStep() {
        final Liveness l = new Liveness(T, 0);
        long read = 0;
        for (long t = 0; t < 20 * T; t += 250) {
            read += 24; // one HEARTBEAT record from the peer
            assertThat(l.tick(t, read, 0)).isNotEqualTo(Action.GIVE_UP);
        }
    }

    @Test
    void theIntervalIsCappedSoAPeerWithAShorterTimeoutHearsInTime() {
        final Liveness l = new Liveness(10_000_000_000L, 0);
        assertThat(l.heartbeatNanos()).isEqualTo(Liveness.MAX_HEARTBEAT_NANOS);
        assertThat(l.tick(Liveness.MAX_HEARTBEAT_NANOS - 1, 1, 0)).isEqualTo(Action.NONE);
        assertThat(l.tick(Liveness.MAX_HEARTBEAT_NANOS, 2, 0)).isEqualTo(Action.HEARTBEAT);
    }

    @Test
    void exactlyTheTimeoutIsStillAlive() {
        final Liveness l = new Liveness(T, 0);
        assertThat(l.tick(T, 0, 1)).isEqualTo(Action.NONE);
        assertThat(l.tick(T + 1, 0, 2)).isEqualTo(Action.GIVE_UP);
    }
}
