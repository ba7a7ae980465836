package dev.tern.vfiouser.client;

import static dev.tern.vfiouser.testing.ScriptedServer.le;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionInfo;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import dev.tern.vfiouser.testing.ScriptedServer;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client without a reader thread ({@link ClientReceiver}): the caller reads its own reply, callers on several
 * threads share the socket (each reply reaches its caller), every wait stays bounded, and a reader thread appears
 * only once the server may send requests at any time (a DMA map without an fd). Real sockets throughout.
 */
@Timeout(60)
class CallerReadsItsReplyTest {
    private static final String READER = "vfio-user-client-reader";
    private final Path dir = TestServers.dir();

    /** Four threads, 500 REGION_READs each at their own offsets: every reply reaches the thread that asked. */
    @Test
    void callersOnSeveralThreadsEachGetTheirOwnReplyWithoutAReaderThread() throws Exception {
        try (VfioUserServer server = TestServers.uart(dir, "many.sock");
                VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults())) {
            final int readersBefore = readerThreads();
            final byte[] config = c.readRegion(RegionInfo.PCI_CONFIG, 0, 64);
            final ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                final List<Future<Void>> runs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    final int first = t * 16;
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 500; i++) {
                            final int offset = first + (i % 4) * 4;
                            assertThat(c.readRegion(RegionInfo.PCI_CONFIG, offset, 4))
                                    .isEqualTo(Arrays.copyOfRange(config, offset, offset + 4));
                        }
                        return null;
                    }));
                }
                for (final Future<Void> f : runs) {
                    f.get(50, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(readerThreads()).as("no reader thread: callers read").isEqualTo(readersBefore);
        }
    }

    /** After a DMA map without an fd the server may send DMA_READ at any time: one reader thread serves it. */
    @Test
    void aDmaMapWithoutAnFdStartsOneReader() throws Exception {
        try (VfioUserServer server = TestServers.dmaEngine(dir, "dma.sock");
                VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                Arena arena = Arena.ofShared()) {
            final int before = readerThreads();
            c.mapDmaWithoutFd(1L << 32, arena.allocate(1 << 16, 4096), true);
            assertThat(readerThreads()).isEqualTo(before + 1);
            assertThat(c.deviceInfo().numRegions()).isPositive();
            c.close();
            assertThat(readerThreads()).as("it ends with the connection").isEqualTo(before);
        }
    }

    /** A reply whose header came but whose body never does: the wait is bounded by the reply timeout. */
    @Test
    void aServerStallingInTheMiddleOfAReplyIsCutOffInTime() throws Exception {
        final CompletableFuture<Void> stop = new CompletableFuture<>();
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("stall.sock"), c -> {
            c.answerVersion("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}");
            final Frame f = c.receive();
            final ByteBuffer head = ByteBuffer.allocate(Header.SIZE + 4).order(ByteOrder.LITTLE_ENDIAN);
            head.putShort((short) f.header().msgId()).putShort((short) 4).putInt(Header.SIZE + 16)
                    .putInt(Header.TYPE_REPLY).putInt(0).put(le(16));
            c.send(head.array()); // 20 of 32 bytes
            stop.get(30, TimeUnit.SECONDS);
        }); VfioUserClient client = VfioUserClient.connect(s.path(),
                ClientOptions.plain().withReplyTimeout(Duration.ofMillis(500)))) {
            final long start = System.nanoTime();
            assertThatThrownBy(client::deviceInfo).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isIn(Errno.ETIMEDOUT, Errno.EIO));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            // the stream is out of step: the connection is gone, and says so at once
            assertThatThrownBy(client::deviceInfo).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        } finally {
            stop.complete(null);
        }
    }

    private static int readerThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(READER)
                && t.isAlive()).count();
    }
}
