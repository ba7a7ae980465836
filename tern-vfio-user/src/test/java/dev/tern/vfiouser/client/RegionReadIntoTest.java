package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DeviceException;
import dev.tern.vfiouser.codec.RegionRead;
import dev.tern.vfiouser.codec.RegionReadReply;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client's REGION_READ into caller memory (a reply slot, the reply received in place: {@link RegionReadSlot})
 * against its decoded path ({@link ClientConnection#call}: a future, a framed and decoded reply), over a real socket,
 * while the server sends DMA_READ / DMA_WRITE to this client (another thread's region writes make the device do DMA
 * through a mapping without an fd, so a reader thread reads) and a third thread sends commands of its own. A seeded
 * random loop over regions, offsets and counts, in and out of range: both paths give the same bytes or the same errno.
 */
@Timeout(60)
class RegionReadIntoTest {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void inPlaceReadsEqualDecodedReadsAmidDmaAndOtherThreads() throws Exception {
        try (VfioUserServer server = TestServers.start(TestServers.dir().resolve("into.sock"), SyncDmaDevice.create(),
                ServerConfig.defaults());
                VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults());
                Arena arena = Arena.ofShared();
                ExecutorService pool = Executors.newFixedThreadPool(2)) {
            final MemorySegment guest = arena.allocate(4096, 4096);
            c.mapDmaWithoutFd(SyncDmaDevice.IOVA, guest, true);
            c.writeRegion(7, 4, new byte[] {5, 0}); // PCI command: I/O, bus master
            final byte[] config = c.readRegion(7, 0, 64);
            final List<Future<?>> others = new ArrayList<>();
            others.add(pool.submit(() -> {
                for (int i = 1; i <= 300; i++) {
                    c.writeRegion(0, 0, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(i).array());
                    assertThat(guest.get(LONG, 8)).isEqualTo(guest.get(LONG, 0) + i);
                }
                return null;
            }));
            others.add(pool.submit(() -> {
                for (int i = 0; i < 300; i++) {
                    assertThat(c.regionInfo(7).info().size()).isEqualTo(256);
                    assertThat(c.readRegion(7, 0, 4)).isEqualTo(Arrays.copyOf(config, 4));
                }
                return null;
            }));
            final Random random = new Random(0x5107);
            final MemorySegment dst = arena.allocate(c.maxDataPiece() + 1);
            int errors = 0;
            for (int i = 0; i < 600; i++) {
                final int region = random.nextInt(4) == 0 ? random.nextInt(10) : random.nextBoolean() ? 0 : 7;
                final long offset = random.nextInt(5) == 0 ? random.nextInt(400) : random.nextInt(8);
                final int count = switch (random.nextInt(10)) {
                    case 0 -> 0;
                    case 1 -> (int) c.maxDataPiece() + 1;
                    case 2 -> 1 + random.nextInt(300);
                    default -> 1 + random.nextInt(8);
                };
                final String decoded = decoded(c, region, offset, count);
                dst.fill((byte) 0x5a);
                final String inPlace = outcome(() -> {
                    c.connection().readRegionInto(region, offset, dst, 0, count);
                    return dst.asSlice(0, count).toArray(ValueLayout.JAVA_BYTE);
                });
                assertThat(inPlace).as("REGION_READ region %d offset %d count %d", region, offset, count)
                        .isEqualTo(decoded);
                errors += decoded.startsWith("errno") ? 1 : 0;
            }
            assertThat(errors).as("the loop covers both outcomes").isBetween(60, 540);
            for (final Future<?> f : others) {
                f.get();
            }
        }
    }

    private static String decoded(final VfioUserClient c, final int region, final long offset, final int count) {
        return outcome(() -> c.connection().call(new RegionRead(offset, region, count), List.of(),
                RegionReadReply.class).reply().data().toArray());
    }

    /** A read that returns its bytes or fails with an errno. */
    @FunctionalInterface
    private interface Read {
        byte[] run() throws DeviceException;
    }

    private static String outcome(final Read read) {
        try {
            return Arrays.toString(read.run());
        } catch (final DeviceException e) {
            return "errno " + e.errno();
        }
    }
}
