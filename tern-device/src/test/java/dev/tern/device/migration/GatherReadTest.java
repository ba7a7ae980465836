package dev.tern.device.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.UnixSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link MigrationStream#read(Gather, int)} through the engine, sent over a real socketpair: the same bytes and
 * results as {@link MigrationStream#read(ByteBuffer)} (a source without views goes through the copying default), the
 * same session and direction rules.
 */
@Timeout(30)
class GatherReadTest {

    @Test
    void gatheredPiecesOfAnySizeAreTheCopiedStreamAndEndTheSame() throws Exception {
        final byte[] copied = copied();
        final MigrationEngine e = MigrationEngine.of(device());
        final MigrationStream s = e.setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final Gather g = new Gather();
        int total = 0;
        int n;
        while ((n = s.read(g, 7)) > 0) { // the pieces stay valid across calls until the gather is sent
            assertThat(n).isBetween(1, 7);
            total += n;
        }
        assertThat(n).isEqualTo(-1);
        assertThat(total).isEqualTo(copied.length);
        assertThat(sent(g)).isEqualTo(copied);
        assertThat(s.read(g, 7)).as("the end stays the end").isEqualTo(-1);
    }

    @Test
    void aStaleOrResumingStreamRefusesAGatherAsItRefusesACopy() throws Exception {
        final MigrationEngine e = MigrationEngine.of(device());
        final MigrationStream pre = e.setState(MigrationState.PRE_COPY).stream().orElseThrow();
        final Gather g = new Gather();
        assertThat(pre.read(g, 1 << 20)).isEqualTo(copied().length);
        assertThat(pre.read(g, 1 << 20)).as("PRE_COPY drained: no data now").isZero();
        e.setState(MigrationState.STOP);
        assertThatThrownBy(() -> pre.read(g, 10)).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.ENODEV));
        final MigrationStream in = e.setState(MigrationState.RESUMING).stream().orElseThrow();
        assertThatThrownBy(() -> in.read(g, 10)).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.EINVAL));
    }

    private static TestDevice device() {
        final TestDevice d = new TestDevice(MigrationFlags.ALL);
        for (int i = 0; i < TestDevice.SIZE; i++) {
            d.state[i] = (byte) (13 * i + 1);
        }
        return d;
    }

    /** @return a whole STOP_COPY stream read by copy */
    private static byte[] copied() throws DeviceException {
        final MigrationStream s = MigrationEngine.of(device()).setState(MigrationState.STOP_COPY).stream()
                .orElseThrow();
        final ByteBuffer all = ByteBuffer.allocate(1 << 16);
        while (s.read(all) > 0) {
            // less than asked at record boundaries
        }
        return java.util.Arrays.copyOf(all.array(), all.position());
    }

    /** @return the bytes of {@code g} as they arrive at the other end of a socketpair */
    private static byte[] sent(final Gather g) throws Exception {
        try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined()) {
            final int n = (int) g.vector().byteSize();
            pair.first().send(g.vector());
            final MemorySegment got = arena.allocate(n);
            pair.second().receiveExactly(got, 0);
            return got.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }
}
