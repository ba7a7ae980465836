package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Server-to-client DMA_READ / DMA_WRITE issued while the server handles a client command, on a single socket, with
 * other client threads pipelining commands at the same time: replies are routed by msg_id, nothing deadlocks.
 */
@Timeout(60)
class SingleSocketDmaTest {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void dmaDuringARegionWriteWhileOtherCommandsArePipelined() throws Exception {
        try (VfioUserServer server = TestServers.start(TestServers.dir().resolve("sync.sock"), SyncDmaDevice.create(),
                ServerConfig.defaults());
                VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                Arena arena = Arena.ofShared();
                ExecutorService pool = Executors.newFixedThreadPool(4)) {
            final MemorySegment guest = arena.allocate(4096, 4096);
            c.mapDmaWithoutFd(SyncDmaDevice.IOVA, guest, true);
            c.writeRegion(7, 4, new byte[] {5, 0});                               // PCI command: I/O, bus master
            guest.set(LONG, 0, 1000);
            final List<Future<?>> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                readers.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        assertThat(c.readRegion(7, 0, 2)).containsExactly(0x27, 0x7E);
                    }
                    return null;
                }));
            }
            for (int i = 1; i <= 200; i++) {
                c.writeRegion(0, 0, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(i).array());
                assertThat(guest.get(LONG, 8)).isEqualTo(1000 + i);
            }
            for (final Future<?> f : readers) {
                f.get();
            }
        }
    }
}
