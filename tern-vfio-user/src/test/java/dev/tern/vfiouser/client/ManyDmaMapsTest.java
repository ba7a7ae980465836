package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DmaSpace;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9 item 6: each DMA_MAP copied and re-sorted the whole mapping list, so 65,534 maps took 41.8 s (quadratic).
 * With logarithmic insert the same maps over a real socket take about 5 s here (the quadratic version 40 s); the
 * 20 s timeout leaves a margin both ways.
 */
@Timeout(20)
class ManyDmaMapsTest {
    private static final int MAPS = 65_534;
    private static final long PAGE = 4096;

    @Test
    void sixtyFiveThousandMapsThenEveryOneIsReachable() throws Exception {
        try (VfioUserServer server = TestServers.dmaEngine(TestServers.dir(), "many.sock");
                VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                Arena arena = Arena.ofShared()) {
            final MemorySegment page = arena.allocate(PAGE);
            // every other page, so that no two mappings are adjacent and each insert lands between others
            for (int i = 0; i < MAPS; i++) {
                final long slot = (i * 40_503L) % MAPS;
                c.mapDmaWithoutFd(0x1_0000_0000L + 2 * slot * PAGE, page, true);
            }
            c.writeRegion(7, 4, new byte[] {4, 0}); // PCI command: bus master, so that the device may DMA
            final DmaSpace dma = server.served().device().dma();
            assertThat(dma.mappings()).hasSize(MAPS);
            page.set(ValueLayout.JAVA_LONG, 8, 0x5eed);
            assertThat(dma.readLong(0x1_0000_0000L + 2 * (MAPS - 1) * PAGE + 8)).isEqualTo(0x5eed);
            assertThat(dma.isPeerToPeer(0x1_0000_0000L, 2 * MAPS * PAGE)).isFalse();
            c.unmapDma(0x1_0000_0000L, 2 * MAPS * PAGE);
            assertThat(dma.mappings()).isEmpty();
        }
    }
}
