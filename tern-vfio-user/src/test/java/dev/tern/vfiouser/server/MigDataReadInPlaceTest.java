package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.command;
import static dev.tern.vfiouser.server.RawPeer.concat;
import static dev.tern.vfiouser.server.RawPeer.le;
import static dev.tern.vfiouser.server.RegionReadInPlaceTest.answerDma;
import static dev.tern.vfiouser.server.RegionReadInPlaceTest.frame;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.SaveSource;
import dev.tern.vfiouser.client.SyncDmaDevice;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.DmaMap;
import dev.tern.vfiouser.codec.Frame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's MIG_DATA_READ in place ({@link CommandRunner#handleInPlace}) against its decoded path, over real
 * sockets. Two servers with the same deterministic device get the same seeded random script (MIG_DATA_READs of
 * sizes 0 to 70,000, above {@code max_data_xfer_size}, 2^32-1, with a short {@code argsz}, a short or long payload;
 * REGION_READs; state changes RUNNING / STOP / STOP_COPY, so that reads in the wrong state come too): on the first
 * every command is sent alone (a MIG_DATA_READ is handled in place by the reader), on the second every MIG_DATA_READ
 * is queued behind a REGION_WRITE whose device waits for a DMA_READ answer from this client (framed, decoded,
 * dispatched). Every reply must be the same bytes on both: the same stream data, or the same errno.
 */
@Timeout(60)
class MigDataReadInPlaceTest {
    private static final int MIG_DATA_READ = Command.MIG_DATA_READ.code();
    private static final int REGION_WRITE = Command.REGION_WRITE.code();
    private static final int BYTES = 2_000_000;
    private final Path dir = TestServers.dir();

    @Test
    void inPlaceRepliesEqualQueuedDecodedReplies() throws Exception {
        try (VfioUserServer inPlace = start("migin.sock"); VfioUserServer queued = start("migq.sock");
                RawPeer a = prepared(inPlace.path()); RawPeer b = prepared(queued.path())) {
            final Random random = new Random(0x12d8);
            int state = MigrationPeer.RUNNING;
            int errors = 0;
            int data = 0;
            int decoded = 0;
            for (int i = 0; i < 600; i++) {
                final int id = 0x100 + i;
                final byte[] request;
                if (random.nextInt(25) == 0) {
                    state = next(state, random);
                    request = command(id, Command.DEVICE_FEATURE.code(),
                            le(16, DeviceFeature.SET | MigrationPeer.MIG_DEVICE_STATE, state, -1));
                } else if (random.nextInt(8) == 0) {
                    request = command(id, Command.REGION_READ.code(), le(0L, 7, 1 + random.nextInt(4)));
                } else {
                    request = command(id, MIG_DATA_READ, randomMigDataRead(random));
                }
                a.send(request);
                final Frame alone = frame(a.receive());
                final boolean read = request[2] == MIG_DATA_READ;
                final Frame behind = read ? behindWrite(b, request, i, frozen(state)) : roundTrip(b, request);
                decoded += read && !frozen(state) ? 1 : 0;
                assertThat(alone.toBytes()).as("request %d: %s", i, alone).isEqualTo(behind.toBytes());
                errors += alone.header().isError() ? 1 : 0;
                data += !alone.header().isError() && request[2] == MIG_DATA_READ
                        && MigrationPeer.data(alone).length > 0 ? 1 : 0;
            }
            assertThat(errors).as("the loop covers both outcomes").isBetween(60, 500);
            assertThat(data).as("reads that got stream data").isGreaterThan(50);
            assertThat(decoded).as("reads surely decoded on the second server").isGreaterThan(150);
        }
    }

    /** The next state, always along a valid arc (vfio-migration.md): RUNNING → PRE_COPY → STOP_COPY → STOP → … */
    private static int next(final int state, final Random r) {
        return switch (state) {
            case MigrationPeer.RUNNING -> r.nextInt(3) == 0 ? MigrationPeer.STOP : MigrationPeer.PRE_COPY;
            case MigrationPeer.PRE_COPY -> r.nextInt(3) == 0 ? MigrationPeer.RUNNING : MigrationPeer.STOP_COPY;
            case MigrationPeer.STOP_COPY -> MigrationPeer.STOP;
            default -> r.nextInt(2) == 0 ? MigrationPeer.RUNNING : MigrationPeer.STOP_COPY;
        };
    }

    /** @return whether the device's registers are frozen (no DMA, so a REGION_WRITE fails at once with EBUSY) */
    private static boolean frozen(final int state) {
        return state == MigrationPeer.STOP || state == MigrationPeer.STOP_COPY;
    }

    /** A mostly valid payload, with {@code size} sometimes 0 or out of range and the payload sometimes malformed. */
    private static byte[] randomMigDataRead(final Random r) {
        final int size = switch (r.nextInt(12)) {
            case 0 -> 0;
            case 1 -> (int) CodecLimits.DEFAULT_MAX_DATA_XFER_SIZE + 1;
            case 2 -> 0xffff_ffff;
            case 3 -> 1 + r.nextInt(16);
            default -> r.nextInt(70_000);
        };
        final int argsz = r.nextInt(10) == 0 ? 8 + size - 1 - r.nextInt(8) : 8 + size;
        final byte[] fields = le(argsz, size);
        return switch (r.nextInt(14)) {
            case 0 -> new byte[0];
            case 1 -> Arrays.copyOf(fields, r.nextInt(8));
            case 2 -> concat(fields, new byte[1 + r.nextInt(8)]);
            default -> fields;
        };
    }

    /**
     * Sends {@code request} behind a REGION_WRITE. While the device runs, the write waits for DMA answers from this
     * peer, so the server must queue the request (framed, decoded, dispatched); while it is frozen the write fails at
     * once (EBUSY) and the request may go either way.
     */
    private static Frame behindWrite(final RawPeer p, final byte[] request, final int i, final boolean frozen)
            throws Exception {
        p.send(command(0x4000 + i, REGION_WRITE, concat(le(0L, 0, 8), le((long) i))));
        p.send(request);
        if (!frozen) {
            answerDma(p, Command.DMA_READ);
            answerDma(p, Command.DMA_WRITE);
        }
        assertThat(frame(p.receive()).header().isError()).as("REGION_WRITE refused").isEqualTo(frozen);
        return frame(p.receive());
    }

    private static Frame roundTrip(final RawPeer p, final byte[] request) throws Exception {
        p.send(request);
        return frame(p.receive());
    }

    private VfioUserServer start(final String name) throws Exception {
        return TestServers.start(dir.resolve(name), SyncDmaDevice.create().stopCopyFrom(Pattern::new).preCopyFrom(Pattern::new),
                ServerConfig.defaults());
    }

    /** @return a peer with DMA mapped and the device's I/O space and bus mastering on (as RegionReadInPlaceTest) */
    private static RawPeer prepared(final Path server) throws Exception {
        final RawPeer p = RawPeer.connect(server);
        p.send(command(0, Command.VERSION.code(), concat(le(2 << 16) /* major 0, minor 2 */,
                RawPeer.cstring("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}"))));
        assertThat(p.reply().isError()).isFalse();
        p.send(command(1, Command.DMA_MAP.code(), le(DmaMap.SIZE, DmaMap.FLAG_READ | DmaMap.FLAG_WRITE, 0L,
                SyncDmaDevice.IOVA, 4096L)));
        assertThat(p.reply().isError()).isFalse();
        p.send(command(2, REGION_WRITE, concat(le(4L, 7, 2), new byte[] {5, 0})));
        assertThat(p.reply().isError()).isFalse();
        return p;
    }

    /** {@link #BYTES} of a position-dependent pattern, handed out in pieces of at most 3000 bytes. */
    private static final class Pattern implements SaveSource {
        private int position;

        @Override
        public int read(final ByteBuffer dst, final boolean stopCopy) {
            if (position == BYTES) {
                return -1;
            }
            final int n = Math.min(Math.min(3000, dst.remaining()), BYTES - position);
            for (int k = 0; k < n; k++) {
                final int x = position + k;
                dst.put((byte) (x * 31 + (x >>> 8)));
            }
            position += n;
            return n;
        }

        @Override
        public PrecopyInfo precopyInfo() {
            return new PrecopyInfo(0, 0, false);
        }
    }
}
