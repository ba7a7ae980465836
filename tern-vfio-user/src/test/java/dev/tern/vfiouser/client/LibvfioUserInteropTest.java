package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.testing.LibvfioUserRelay;
import dev.tern.vfiouser.testing.LibvfioUserRelay.Behaviour;
import dev.tern.vfiouser.testing.RelayedServers;
import dev.tern.vfiouser.testing.RelayedServers.Relayed;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tern's client, unchanged defaults (it proposes the {@code tern} object), against a server that behaves on the
 * wire as libvfio-user does ({@link LibvfioUserRelay} in front of plain Tern servers), over real sockets.
 */
@Timeout(120)
class LibvfioUserInteropTest {
    private final RelayedServers servers = new RelayedServers();
    private final Path dir = servers.dir();

    @AfterEach
    void closeAll() throws Exception {
        servers.close();
    }

    /** @return a relay in front of its own served dma-engine */
    private Relayed pair(final String name) throws Exception {
        return servers.dmaEngine(name);
    }

    private static VfioUserMigrationTarget target(final Relayed p) throws DeviceException {
        return new VfioUserMigrationTarget(VfioUserClient.connect(p.relay().path(), ClientOptions.defaults()),
                () -> { });
    }

    @Test
    void theTernExtensionIsNeitherOfferedNorUsed() throws Exception {
        final Relayed p = pair("ver");
        try (VfioUserMigrationTarget t = target(p)) {
            final VfioUserClient c = t.client();
            assertThat(c.ternAccepted()).isFalse();
            assertThat(c.serverVersion().capabilities().orElseThrow().migration()).isPresent();
            assertThat(c.session().serverMaxDataXferSize()).isEqualTo(1 << 20);
            assertThat(t.capabilities().precopyInfo() || t.capabilities().stopCopySize()
                    || t.capabilities().checksum()).isFalse();
            assertThat(t.flags()).isEqualTo(new MigrationFlags(0x5));
            assertThatThrownBy(t::stopCopySize).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY));
            assertThatThrownBy(() -> c.feature(DeviceFeature.get(Feature.MIG_DATA_SIZE)))
                    .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
        assertThat(p.relay().seen().get(Behaviour.VERSION_REWRITTEN)).isOne();
        assertThat(p.relay().seen().get(Behaviour.FEATURE_REFUSED)).isOne();
    }

    /** Before the fix, the echo after the error header made every refusal EPROTO "16 unexpected trailing bytes". */
    @Test
    void aRefusedSetKeepsItsErrnoDespiteTheEcho() throws Exception {
        final Relayed p = pair("echo");
        try (VfioUserMigrationTarget t = target(p)) {
            assertThatThrownBy(() -> t.client().feature(DeviceFeature.set(Feature.MIG_DEVICE_STATE,
                    new FeaturePayload.MigDeviceState(MigrationState.RUNNING_P2P.uapi(), -1))))
                    .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            t.setState(MigrationState.STOP_COPY);
            assertThatThrownBy(() -> t.setState(MigrationState.PRE_COPY)).isInstanceOfSatisfying(
                    DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThat(t.state()).isEqualTo(MigrationState.STOP_COPY);
            t.reset();
        }
        assertThat(p.relay().seen().get(Behaviour.ERROR_ECHOED)).isGreaterThanOrEqualTo(2);
    }

    /** L2: reset refused in STOP / STOP_COPY, keeping RESUMING: reset() still ends RUNNING, as read back. */
    @Test
    void resetWalksTheFsmWhereTheServerKeepsTheState() throws Exception {
        final Relayed p = pair("reset");
        try (VfioUserMigrationTarget t = target(p)) {
            for (final MigrationState s : List.of(MigrationState.STOP, MigrationState.STOP_COPY,
                    MigrationState.PRE_COPY)) {
                t.setState(s);
                t.reset();
                assertThat(t.state()).isEqualTo(MigrationState.RUNNING);
                assertThat(t.queryState()).isEqualTo(MigrationState.RUNNING);
                assertThat(p.server().served().engine().state()).isEqualTo(MigrationState.RUNNING);
            }
            final byte[] golden = stopCopy(t);
            t.reset();
            final MigrationStream w = t.setState(MigrationState.RESUMING).stream().orElseThrow();
            w.write(ByteBuffer.wrap(golden));
            t.reset();
            assertThat(p.server().served().engine().state()).isEqualTo(MigrationState.RUNNING);
            t.setState(MigrationState.RESUMING);
            t.reset();
            assertThat(t.queryState()).isEqualTo(MigrationState.RUNNING);
        }
        assertThat(p.relay().seen().get(Behaviour.RESET_REFUSED)).isGreaterThanOrEqualTo(2);
        assertThat(p.relay().seen().get(Behaviour.RESET_KEPT_STATE)).isGreaterThanOrEqualTo(2);
    }

    private static byte[] stopCopy(final VfioUserMigrationTarget t) throws DeviceException {
        final MigrationStream s = t.setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final byte[] bytes = drain(s, true);
        t.setState(MigrationState.STOP);
        return bytes;
    }

    private static byte[] drain(final MigrationStream s, final boolean toEnd) throws DeviceException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (int n; (n = s.read(buf.clear())) != -1 && (toEnd || n > 0);) {
            out.write(buf.array(), 0, n);
        }
        return out.toByteArray();
    }

    /** STOP_COPY only (no PRECOPY_INFO, no MIG_DATA_SIZE, no checksum): the device arrives, compared server-side. */
    @Test
    void stopCopyMigrationMovesTheDevice() throws Exception {
        final Relayed a = pair("src");
        final Relayed b = pair("dst");
        try (VfioUserMigrationTarget src = target(a); VfioUserMigrationTarget dst = target(b)) {
            dst.reset();
            final MigrationStream s = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final byte[] bytes = drain(s, true);
            assertThat(s.read(ByteBuffer.allocate(16))).isEqualTo(-1);
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            w.write(ByteBuffer.wrap(bytes));
            dst.setState(MigrationState.STOP);
            assertThat(b.server().served().engine().checksum()).isEqualTo(a.server().served().engine().checksum());
            dst.setState(MigrationState.RUNNING);
            src.setState(MigrationState.STOP);
            src.setState(MigrationState.RUNNING);
        }
        // Growing reads end in one short reply and one empty one: at most a full request plus 4 KiB of padding.
        assertThat(a.relay().paddingBytes()).isLessThanOrEqualTo((1 << 20) + 4096);
    }

    /**
     * libvfio-user pads each reply to the size asked for; a small stop-copy asked for in 1 MiB reads cost about
     * 2 MiB of padding before the fix, now reads start at 4 KiB.
     */
    @Test
    void aSmallStopCopyCostsLittlePadding() throws Exception {
        final Relayed p = servers.relayed("uart", TestServers.uart(dir, "uart-tern.sock"));
        try (VfioUserMigrationTarget t = target(p)) {
            final byte[] bytes = stopCopy(t);
            assertThat(bytes.length).isLessThan(4096);
            assertThat(p.relay().paddingBytes()).isLessThanOrEqualTo(2 * 4096);
            t.reset();
        }
    }

    /** Pre-copy without PRECOPY_INFO: each drain ends at a reply shorter than requested, then read returns 0. */
    @Test
    void preCopyDrainsEndAtAShortReply() throws Exception {
        final Relayed a = pair("pre-src");
        final Relayed b = pair("pre-dst");
        try (VfioUserMigrationTarget src = target(a); VfioUserMigrationTarget dst = target(b)) {
            dst.reset();
            final MigrationStream s = src.setState(MigrationState.PRE_COPY).stream().orElseThrow();
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes(drain(s, false));
            assertThat(bytes.size()).isGreaterThan(8 << 20);
            bytes.writeBytes(drain(s, false));
            src.setState(MigrationState.STOP_COPY);
            bytes.writeBytes(drain(s, true));
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            w.write(ByteBuffer.wrap(bytes.toByteArray()));
            dst.setState(MigrationState.STOP);
            assertThat(b.server().served().engine().checksum()).isEqualTo(a.server().served().engine().checksum());
            src.reset();
            dst.reset();
        }
        assertThat(a.relay().seen().get(Behaviour.SHORT_READ_PADDED)).isGreaterThanOrEqualTo(2);
    }
}
