package dev.tern.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.RegionInfo;
import dev.tern.sys.EventFd;
import dev.tern.sys.SharedMemory;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guide's device behind Tern's vfio-user server, driven as a VMM drives it: memfd guest memory, an eventfd. */
class CrcServeTest {
    @TempDir
    Path dir;

    @Test
    void servesAJobOverVfioUser() throws Exception {
        final Path socket = dir.resolve("crc.sock");
        try (VfioUserServer server = VfioUserServer.listen(socket, new CrcDevice(), ServerConfig.defaults()).start();
                SharedMemory guest = SharedMemory.create("guest", 1 << 20);
                EventFd irq = EventFd.create()) {
            // tag::client[]
            try (VfioUserClient vmm = VfioUserClient.connect(socket, ClientOptions.defaults())) {
                vmm.mapDma(0x100000, guest, true);   // DMA_MAP with the memfd: the server mmaps it
                vmm.setIrqEventfds(IrqType.INTX.index(), 0, List.of(irq));
                vmm.writeRegion(RegionInfo.PCI_CONFIG, PciConfigSpace.COMMAND,
                        new byte[] {PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER, 0});
                guest.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 'x');
                vmm.writeRegion(RegionInfo.PCI_BAR0, CrcDevice.SRC_LO, le32(0x100000));
                vmm.writeRegion(RegionInfo.PCI_BAR0, CrcDevice.LEN, le32(1));
                vmm.writeRegion(RegionInfo.PCI_BAR0, CrcDevice.DST_LO, le32(0x100800));
                vmm.writeRegion(RegionInfo.PCI_BAR0, CrcDevice.DOORBELL, le32(1));
                assertThat(irq.consume(Duration.ofSeconds(10))).isEqualTo(1);   // the job's INTx
                assertThat(vmm.readRegion(RegionInfo.PCI_BAR0, CrcDevice.RESULT, 4)).isEqualTo(le32(
                        CrcDeviceTest.crc32c(new byte[] {'x'})));
            }
            // end::client[]
            assertThat(guest.segment().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0x800))
                    .isEqualTo(CrcDeviceTest.crc32c(new byte[] {'x'}));
        }
    }

    private static byte[] le32(final int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }
}
