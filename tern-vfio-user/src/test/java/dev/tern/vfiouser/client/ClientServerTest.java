package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqType;
import dev.tern.device.RegionInfo;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.vfiouser.codec.IrqInfo;
import dev.tern.vfiouser.codec.RegionInfoReply;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tern's client against Tern's server hosting the uart, over a real socket. */
@Timeout(60)
class ClientServerTest {
    private static VfioUserServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.uart(TestServers.dir(), "uart.sock");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Connects and, as the guest's PCI core would, enables the uart's I/O BAR (command register bit 0). */
    private static VfioUserClient connect() throws DeviceException {
        final VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
        c.writeRegion(RegionInfo.PCI_CONFIG, 4, new byte[] {1, 0});
        return c;
    }

    @Test
    void socketIsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.path()))).isEqualTo("rw-------");
    }

    @Test
    void negotiatesAndDescribesTheDevice() throws Exception {
        try (VfioUserClient c = connect()) {
            assertThat(c.session().serverMaxMsgFds()).isEqualTo(8);
            assertThat(c.session().tern().p2p()).isTrue();
            assertThat(c.ternAccepted()).isTrue();
            final DeviceInfo info = c.deviceInfo();
            assertThat(info.flags()).isEqualTo(DeviceInfo.FLAG_RESET | DeviceInfo.FLAG_PCI);
            assertThat(info.numRegions()).isEqualTo(RegionInfo.PCI_NUM_REGIONS);
            assertThat(info.numIrqs()).isEqualTo(5);
            try (RegionDescription bar0 = c.regionInfo(0)) {
                assertThat(bar0.info().size()).isEqualTo(8);
                assertThat(bar0.info().flags()).isEqualTo(RegionInfoReply.FLAG_READ | RegionInfoReply.FLAG_WRITE);
                assertThat(bar0.fd()).isEmpty();
            }
            final IrqInfo msi = c.irqInfo(IrqType.MSI.index());
            assertThat(msi.count()).isEqualTo(1);
            final ByteBuffer id = ByteBuffer.wrap(c.readRegion(RegionInfo.PCI_CONFIG, 0, 4))
                    .order(ByteOrder.LITTLE_ENDIAN);
            assertThat(id.getShort() & 0xffff).isEqualTo(0x7E27);
            assertThat(id.getShort() & 0xffff).isEqualTo(0x0001);
        }
    }

    @Test
    void regionErrorsComeBackAsErrno() throws Exception {
        try (VfioUserClient c = connect()) {
            assertThatThrownBy(() -> c.readRegion(0, 7, 2)).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThatThrownBy(() -> c.readRegion(42, 0, 1)).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThatThrownBy(() -> c.regionInfo(99)).isInstanceOf(DeviceException.class);
            c.writeRegion(0, 7, new byte[] {0x5a});
            assertThat(c.readRegion(0, 7, 1)).containsExactly(0x5a);
        }
    }

    @Test
    void uartRaisesItsMsiEventfd() throws Exception {
        try (VfioUserClient c = connect(); EventFd msi = EventFd.create()) {
            c.setIrqEventfds(IrqType.MSI.index(), 0, List.of(msi));
            c.writeRegion(0, 1, new byte[] {0});
            c.readRegion(0, 2, 1);
            c.writeRegion(0, 1, new byte[] {0x02});
            assertThat(msi.await(Duration.ofSeconds(5))).isTrue();
            assertThat(msi.consume()).isEqualTo(1);
            c.disableIrqs(IrqType.MSI.index());
            c.writeRegion(0, 1, new byte[] {0});
        }
    }

    @Test
    void resetRestoresRegistersAndRunning() throws Exception {
        try (VfioUserClient c = connect()) {
            final VfioUserMigrationTarget t = new VfioUserMigrationTarget(c, () -> { });
            c.writeRegion(0, 7, new byte[] {0x33});
            t.setState(MigrationState.STOP);
            assertThat(t.queryState()).isEqualTo(MigrationState.STOP);
            t.reset();
            assertThat(t.state()).isEqualTo(MigrationState.RUNNING);
            assertThat(c.readRegion(0, 7, 1)).containsExactly(0);
        }
    }

    @Test
    void deviceAndMigrationStateOutliveTheClient() throws Exception {
        try (VfioUserClient c = connect()) {
            new VfioUserMigrationTarget(c, () -> { }).setState(MigrationState.STOP);
        }
        try (VfioUserClient c = connect()) {
            final VfioUserMigrationTarget t = new VfioUserMigrationTarget(c, () -> { });
            assertThat(t.state()).isEqualTo(MigrationState.STOP);
            t.setState(MigrationState.RUNNING);
        }
    }

    @Test
    void plainClientsNeverSeeTernExtensions() throws Exception {
        try (VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.plain())) {
            assertThat(c.ternAccepted()).isFalse();
            assertThat(c.serverVersion().capabilities().orElseThrow().tern()).isEmpty();
            final VfioUserMigrationTarget t = new VfioUserMigrationTarget(c, () -> { });
            assertThat(t.flags().bits() & 2).isZero();
            assertThatThrownBy(t::checksum).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY));
            assertThatThrownBy(() -> t.setState(MigrationState.RUNNING_P2P))
                    .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThat(t.failNextArc(dev.tern.protocol.Arc.RUNNING_TO_STOP, Errno.EIO)).isFalse();
        }
    }

    @Test
    void connectToNothingIsAnErrno() {
        assertThatThrownBy(() -> VfioUserClient.connect(Path.of("/nonexistent/x.sock"), ClientOptions.defaults()))
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }
}
