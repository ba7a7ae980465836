package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.protocol.Transition;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Save on one served dma-engine, load into another, through Tern's client (the conformance kit over sockets is the
 * CLI's {@code SocketSubjectTest}).
 */
@Timeout(60)
class MigrationOverSocketTest {
    private static VfioUserServer source;
    private static VfioUserServer destination;

    @BeforeAll
    static void start() throws Exception {
        final Path dir = TestServers.dir();
        source = TestServers.dmaEngine(dir, "src.sock");
        destination = TestServers.dmaEngine(dir, "dst.sock");
    }

    @AfterAll
    static void stop() {
        source.close();
        destination.close();
    }

    private static VfioUserMigrationTarget open(final VfioUserServer s) throws DeviceException {
        final VfioUserMigrationTarget t = new VfioUserMigrationTarget(VfioUserClient.connect(s.path(),
                ClientOptions.defaults()), () -> { });
        t.reset();
        return t;
    }

    @Test
    void preCopyThenStopCopyMovesTheDevice() throws Exception {
        try (VfioUserMigrationTarget src = open(source); VfioUserMigrationTarget dst = open(destination)) {
            final MigrationStream s = src.setState(MigrationState.PRE_COPY).stream().orElseThrow();
            final PrecopyInfo first = src.precopyInfo();
            assertThat(first.initialBytes()).isGreaterThan(8L << 20);
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            drain(s, bytes, false);
            assertThat(src.precopyInfo().initialBytes()).isZero();
            assertThat(src.setState(MigrationState.STOP_COPY).stream()).isEmpty();
            final long sum = src.checksum();
            assertThat(src.stopCopySize()).isPositive();
            drain(s, bytes, true);
            assertThat(s.read(ByteBuffer.allocate(16))).isEqualTo(-1);
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            w.write(ByteBuffer.wrap(bytes.toByteArray()));
            dst.setState(MigrationState.STOP);
            assertThat(dst.checksum()).isEqualTo(sum);
            assertThat(destination.served().engine().checksum()).isEqualTo(source.served().engine().checksum());
            dst.setState(MigrationState.RUNNING);
            src.setState(MigrationState.RUNNING);
            assertThat(s.isLive()).isFalse();
        }
    }

    private static void drain(final MigrationStream s, final ByteArrayOutputStream out, final boolean toEnd)
            throws DeviceException {
        final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        while (true) {
            buf.clear();
            final int n = s.read(buf);
            if (n < 0 || (n == 0 && !toEnd)) {
                return;
            }
            out.write(buf.array(), 0, n);
        }
    }

    @Test
    void refusedAndFailedTransitionsReportTheState() throws Exception {
        try (VfioUserMigrationTarget t = open(source)) {
            t.setState(MigrationState.STOP_COPY);
            assertThatThrownBy(() -> t.setState(MigrationState.PRE_COPY)).isInstanceOfSatisfying(
                    MigrationException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                        assertThat(e.state()).isEqualTo(MigrationState.STOP_COPY);
                    });
            t.setState(MigrationState.STOP);
            final Arc first = ((Transition.Path) MigrationFsm.path(MigrationState.STOP, MigrationState.RUNNING,
                    t.flags())).arcs().getFirst();
            assertThat(t.failNextArc(first, Errno.EIO)).isTrue();
            assertThatThrownBy(() -> t.setState(MigrationState.RUNNING)).isInstanceOfSatisfying(
                    MigrationException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EIO);
                        assertThat(e.state()).isEqualTo(MigrationState.ERROR);
                    });
            t.reset();
            assertThat(t.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void dirtyLoggingSplitsReports() throws Exception {
        try (VfioUserMigrationTarget t = open(source)) {
            final long page = t.startDirtyLogging(4096, List.of(new dev.tern.device.DmaRange(0, 1L << 36)));
            assertThat(page).isEqualTo(4096);
            final long[] bitmap = new long[(int) ((1L << 36) / 4096 / 64)];
            t.reportDirty(0, 1L << 36, 4096, bitmap);
            assertThat(bitmap).containsOnly(0L);
            t.stopDirtyLogging();
            assertThatThrownBy(() -> t.reportDirty(0, 4096, 4096, new long[1]))
                    .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }
}
