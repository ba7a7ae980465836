package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.IrqType;
import dev.tern.sys.EventFd;
import dev.tern.sys.SharedMemory;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dma-engine copies guest memory through both DMA paths: memory the server mmap'ed (DMA_MAP with an fd) and
 * memory it reaches with DMA_READ / DMA_WRITE messages answered by the client (DMA_MAP without an fd). Completion
 * raises the MSI eventfd.
 */
@Timeout(60)
class DmaPathsTest {
    private static final long IOVA = 0x100000;
    private static final int SIZE = 1 << 20;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static VfioUserServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.dmaEngine(TestServers.dir(), "dma.sock");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void copiesThroughMappedMemory() throws Exception {
        try (VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                SharedMemory guest = SharedMemory.create("guest", SIZE)) {
            c.mapDma(IOVA, guest, true);
            assertThat(server.served().device().dma().mappings()).hasSize(1);
            final VfioUserMigrationTarget t = new VfioUserMigrationTarget(c, () -> { });
            t.startDirtyLogging(4096, List.of());
            copy(c, guest.segment());
            final long[] dirty = new long[SIZE / 4096 / 64];
            t.reportDirty(IOVA, SIZE, 4096, dirty);
            assertThat(dirty[0] & 0b101).as("descriptor page and destination page").isEqualTo(0b101);
            t.stopDirtyLogging();
            c.unmapDma(IOVA, SIZE);
            assertThat(server.served().device().dma().mappings()).isEmpty();
        }
    }

    @Test
    void copiesThroughDmaMessages() throws Exception {
        try (VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                Arena arena = Arena.ofShared()) {
            final MemorySegment guest = arena.allocate(SIZE, 4096);
            c.mapDmaWithoutFd(IOVA, guest, true);
            copy(c, guest);
        }
    }

    /** Descriptor ring at IOVA (1 entry), source page at +0x1000, destination page at +0x2000. */
    private static void copy(final VfioUserClient c, final MemorySegment guest) throws Exception {
        for (int i = 0; i < 4096; i++) {
            guest.set(ValueLayout.JAVA_BYTE, 0x1000 + i, (byte) (i * 7 + 1));
        }
        guest.asSlice(0x2000, 4096).fill((byte) 0);
        guest.set(INT, 0, 1);
        guest.set(INT, 4, 0);
        guest.set(LONG, 8, IOVA + 0x1000);
        guest.set(LONG, 16, IOVA + 0x2000);
        guest.set(LONG, 24, 4096L);
        try (EventFd msi = EventFd.create()) {
            c.setIrqEventfds(IrqType.MSI.index(), 0, List.of(msi));
            c.reset();
            c.setIrqEventfds(IrqType.MSI.index(), 0, List.of(msi));
            c.writeRegion(7, 4, new byte[] {6, 0});                               // PCI command: memory, master
            write64(c, 0x10, IOVA);
            write64(c, 0x18, 1);
            write64(c, 0x08, 3);
            write64(c, 0x28, 1);
            assertThat(msi.await(Duration.ofSeconds(10))).as("completion interrupt").isTrue();
        }
        assertThat(read64(c, 0x30)).isEqualTo(1);
        assertThat(guest.get(INT, 4)).isEqualTo(1);
        assertThat(guest.asSlice(0x2000, 4096).mismatch(guest.asSlice(0x1000, 4096))).isEqualTo(-1);
        c.disableIrqs(IrqType.MSI.index());
    }

    private static void write64(final VfioUserClient c, final long offset, final long value) throws Exception {
        c.writeRegion(0, offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    private static long read64(final VfioUserClient c, final long offset) throws Exception {
        return ByteBuffer.wrap(c.readRegion(0, offset, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
