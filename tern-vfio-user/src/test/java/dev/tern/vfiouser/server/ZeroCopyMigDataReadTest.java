package dev.tern.vfiouser.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.AllocatedBlocks;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MIG_DATA_READ of a paged device (the dma-engine) answered with views of its memory over a real socket: the stream
 * is byte for byte the copy path's, pages never written leave as zeros without being allocated in the device's memfd,
 * and pre-copy with the device writing meanwhile ends in the device's final image.
 */
@Timeout(60)
class ZeroCopyMigDataReadTest {
    private static final int[] MIXED = {4096, 1000, 70_000, 3, 65_536, 12_345, 1 << 20, 4096};

    /** The digest {@code DmaEngineTest} pins for the copy path's stream of a fresh 1 MiB engine. */
    @Test
    void theGatheredStreamOfAFreshEngineIsTheCopyPathsStreamForAnyRequestSizes() throws Exception {
        for (final int[] sizes : List.of(new int[] {MigrationPeer.WHOLE}, MIXED)) {
            final DmaEngine device = new DmaEngine(new DmaEngineConfig(1 << 20, 0, 42));
            try (VfioUserServer server = start("fresh.sock", device);
                    MigrationPeer p = MigrationPeer.connect(server.path())) {
                p.setState(MigrationPeer.STOP);
                p.setState(MigrationPeer.STOP_COPY);
                final byte[] stream = p.drain(sizes);
                assertThat(stream).hasSize(1049042);
                assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stream)))
                        .isEqualTo("e501579bae745b8e0839be9997e2687d0f6438dca1b85349fccc161796958e09");
                assertThat(p.read(4096)).as("the end stays the end").isEmpty();
            }
        }
    }

    @Test
    void pagesNeverWrittenLeaveAsZerosWithoutBeingAllocated() throws Exception {
        final List<Integer> before = memfds();
        final DmaEngine device = new DmaEngine(new DmaEngineConfig(64L << 20, 0, 7));
        final List<Integer> mine = memfds().stream().filter(fd -> !before.contains(fd)).toList();
        assertThat(mine).as("the device's memfd").hasSize(1);
        final Random random = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (final long page : new long[] {0, 1, 2, 777, 4096, 16_383}) { // runs across hole boundaries
                final byte[] b = new byte[4096];
                random.nextBytes(b);
                device.memory().write(page * 4096, arena.allocate(4096).copyFrom(MemorySegment.ofArray(b)));
            }
        }
        final long blocks = AllocatedBlocks.of(mine.get(0));
        // 6 pages written: 24 KiB, or up to 4 huge pages where shmem uses transparent huge pages; far from 64 MiB
        assertThat(blocks * 512).as("bytes allocated before the drain").isBetween(6L * 4096, 16L << 20);
        try (VfioUserServer server = start("holes.sock", device);
                MigrationPeer p = MigrationPeer.connect(server.path())) {
            p.setState(MigrationPeer.STOP);
            p.setState(MigrationPeer.STOP_COPY);
            final byte[] stream = p.drain(MIXED);
            assertThat(AllocatedBlocks.of(mine.get(0))).as("blocks of the memfd after the drain").isEqualTo(blocks);
            assertThat(loaded(64L << 20, stream)).as("the destination's checksum").isEqualTo(device.checksum());
            assertThat(AllocatedBlocks.of(mine.get(0))).as("blocks after the checksum (holes hashed as zeros)")
                    .isEqualTo(blocks);
        }
    }

    @Test
    void preCopyWithTheDeviceWritingEndsInTheDevicesFinalImage() throws Exception {
        final DmaEngine device = new DmaEngine(new DmaEngineConfig(8L << 20, 16L << 20, 11)); // 16 MiB/s of writes
        try (VfioUserServer server = start("precopy.sock", device);
                MigrationPeer p = MigrationPeer.connect(server.path())) {
            p.setState(MigrationPeer.PRE_COPY);
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int round = 0; round < 4; round++) {
                all.writeBytes(p.drain(MIXED)); // up to a short reply: "nothing now"
                TimeUnit.MILLISECONDS.sleep(20);
            }
            p.setState(MigrationPeer.STOP_COPY);
            final long sum = device.checksum();
            final byte[] registers = device.saveRegisters();
            all.writeBytes(p.drain(MigrationPeer.WHOLE));
            assertThat(loaded(8L << 20, all.toByteArray())).as("the destination's checksum").isEqualTo(sum);
            assertThat(device.saveRegisters()).isEqualTo(registers);
        }
    }

    private static VfioUserServer start(final String name, final DmaEngine device) throws Exception {
        return TestServers.start(TestServers.dir().resolve(name), device, ServerConfig.defaults());
    }

    /** @return the checksum of a fresh engine of {@code memory} bytes after loading {@code stream} */
    private static long loaded(final long memory, final byte[] stream) throws Exception {
        try (MigrationEngine dst = MigrationEngine.of(new DmaEngine(new DmaEngineConfig(memory, 0, 1)))) {
            dst.setState(MigrationState.STOP);
            final MigrationStream in = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            for (int off = 0; off < stream.length; off += 100_000) {
                in.write(ByteBuffer.wrap(stream, off, Math.min(100_000, stream.length - off)));
            }
            dst.setState(MigrationState.STOP);
            return dst.checksum();
        }
    }

    /** @return this process's descriptors of dma-engine memfds */
    private static List<Integer> memfds() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("/memfd:tern-dma-engine");
                } catch (final Exception e) {
                    return false; // closed meanwhile (the listing's own descriptor)
                }
            }).map(fd -> Integer.parseInt(fd.getFileName().toString())).toList();
        }
    }
}
