package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8 item 7: DMA_LOGGING_START with zero ranges means "all writes should be logged" (specification), including
 * writes to memory mapped after START. Before, the server logged the mappings present at START only, and refused
 * START when nothing was mapped yet.
 */
@Timeout(30)
class LogAllWritesTest {
    @Test
    void zeroRangesLogWritesToMappingsAddedLater() throws Exception {
        try (VfioUserServer server = TestServers.start(TestServers.dir().resolve("all.sock"), SyncDmaDevice.create(),
                dev.tern.vfiouser.server.ServerConfig.defaults());
                VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                Arena arena = Arena.ofShared()) {
            final VfioUserMigrationTarget t = new VfioUserMigrationTarget(c, () -> { });
            t.startDirtyLogging(4096, List.of());
            final MemorySegment guest = arena.allocate(0x3000, 4096);
            c.mapDmaWithoutFd(SyncDmaDevice.IOVA, guest, true);
            c.writeRegion(7, 4, new byte[] {5, 0}); // PCI command: I/O, bus master
            // the device reads IOVA and writes IOVA + 8
            c.writeRegion(0, 0, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(5).array());
            final long[] dirty = new long[1];
            t.reportDirty(SyncDmaDevice.IOVA, 0x3000, 4096, dirty);
            assertThat(dirty[0]).as("page 0 written by the device, pages 1 and 2 not").isEqualTo(0b001);
            final long[] again = new long[1];
            t.reportDirty(SyncDmaDevice.IOVA, 0x3000, 4096, again);
            assertThat(again[0]).as("read and clear").isZero();
            t.stopDirtyLogging();
        }
    }
}
