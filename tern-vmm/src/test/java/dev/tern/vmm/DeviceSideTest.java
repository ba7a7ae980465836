package dev.tern.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DmaMapping;
import dev.tern.device.DmaRange;
import dev.tern.device.RegionInfo;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A side of served dma-engines over real vfio-user sockets, with a real memfd mapped into every device. */
@Timeout(60)
class DeviceSideTest {
    private static final long MEMORY = 1L << 20;

    private final Path dir = TestServers.dir();
    private final List<VfioUserServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(VfioUserServer::close);
    }

    private VfioUserServer serve(final String name) throws Exception {
        final VfioUserServer s = TestServers.dmaEngine(dir, name);
        servers.add(s);
        return s;
    }

    @Test
    void everyDeviceSeesTheGuestMemoryAtIovaZero() throws Exception {
        final VfioUserServer a = serve("a.sock");
        final VfioUserServer b = serve("b.sock");
        try (DeviceSide side = DeviceSide.openSockets(List.of(a.path(), b.path()), MEMORY, DeviceSide.Role.SOURCE,
                ClientOptions.defaults())) {
            assertThat(side.devices()).extracting(VmmDevice::name).containsExactly("a.sock", "b.sock");
            assertThat(side.devices()).allSatisfy(d -> assertThat(d.regions()).isNotEmpty());
            assertThat(side.memory().size()).isEqualTo(MEMORY);
            side.memory().segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 4096, 0x1234_5678_9abc_def0L);
            for (final VmmDevice d : side.devices()) {   // PCI command: memory space + Bus Master Enable, as a driver
                ((VfioUserMigrationTarget) d.target()).client().writeRegion(RegionInfo.PCI_CONFIG, 4,
                        new byte[] {0x06, 0});
            }
            for (final VfioUserServer s : List.of(a, b)) {
                assertThat(s.served().device().dma().mappings()).extracting(DmaMapping::range)
                        .contains(new DmaRange(0, MEMORY));
                assertThat(s.served().device().dma().readLong(4096)).isEqualTo(0x1234_5678_9abc_def0L);
            }
        }
    }

    @Test
    void aSourceDeviceNotRunningIsRefusedNamingItsSocketAndTheSideIsClosed() throws Exception {
        final VfioUserServer a = serve("running.sock");
        final VfioUserServer b = serve("stopped.sock");
        b.served().engine().setState(MigrationState.STOP);
        assertThatThrownBy(() -> DeviceSide.openSockets(List.of(a.path(), b.path()), MEMORY, DeviceSide.Role.SOURCE,
                ClientOptions.defaults())).isInstanceOf(VmmException.class)
                .hasMessage(b.path() + ": the device is in STOP, not RUNNING (it was migrated away already, or is "
                        + "being migrated)");
        // both clients were disconnected: the one-client servers take a new one, and a destination resets b
        try (DeviceSide side = DeviceSide.openSockets(List.of(a.path(), b.path()), MEMORY,
                DeviceSide.Role.DESTINATION, ClientOptions.defaults())) {
            assertThat(side.devices()).hasSize(2);
            assertThat(b.served().engine().state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsOpened() throws Exception {
        final VfioUserServer a = serve("once.sock");
        assertThatThrownBy(() -> DeviceSide.openSockets(List.of(a.path(), a.path()), MEMORY, DeviceSide.Role.SOURCE,
                ClientOptions.defaults())).isInstanceOf(VmmException.class).hasMessageContaining("is listed twice");
        assertThatThrownBy(() -> DeviceSide.openSockets(List.of(a.path()), 1000, DeviceSide.Role.SOURCE,
                ClientOptions.defaults())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 4 KiB");
        assertThatThrownBy(() -> DeviceSide.openSockets(List.of(dir.resolve("nobody.sock")), MEMORY,
                DeviceSide.Role.SOURCE, ClientOptions.defaults())).isInstanceOf(VmmException.class)
                .hasMessageContaining("nobody.sock");
    }
}
