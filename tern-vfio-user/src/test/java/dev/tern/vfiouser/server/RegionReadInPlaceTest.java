package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.command;
import static dev.tern.vfiouser.server.RawPeer.concat;
import static dev.tern.vfiouser.server.RawPeer.le;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.client.SyncDmaDevice;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.DmaMap;
import dev.tern.vfiouser.codec.DmaRead;
import dev.tern.vfiouser.codec.DmaReadReply;
import dev.tern.vfiouser.codec.DmaWrite;
import dev.tern.vfiouser.codec.DmaWriteReply;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.transport.Incoming;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's REGION_READ in place ({@link RegionReadInPlace}) against its decoded path, over a real socket: each
 * request of a seeded random loop (valid and malformed: payload lengths, regions, offsets and counts out of range) is
 * sent twice, once alone (handled in place by the reader) and once queued behind a REGION_WRITE whose device waits
 * for a DMA_READ answer from this client (so the reader must queue it: framed, decoded, dispatched). Both replies
 * must be the same bytes: the same data, or the same errno.
 */
@Timeout(60)
class RegionReadInPlaceTest {
    private static final long IOVA = SyncDmaDevice.IOVA;
    private static final int REGION_READ = Command.REGION_READ.code();
    private static final int REGION_WRITE = Command.REGION_WRITE.code();
    private final Path dir = TestServers.dir();

    @Test
    void inPlaceRepliesEqualQueuedDecodedReplies() throws Exception {
        try (VfioUserServer server = TestServers.start(dir.resolve("inplace.sock"), SyncDmaDevice.create(),
                ServerConfig.defaults());
                RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(command(1, Command.DMA_MAP.code(), le(DmaMap.SIZE, DmaMap.FLAG_READ | DmaMap.FLAG_WRITE, 0L, IOVA,
                    4096L)));
            assertThat(p.reply().isError()).isFalse();
            p.send(command(2, REGION_WRITE, concat(le(4L, 7, 2), new byte[] {5, 0}))); // I/O space, bus master
            assertThat(p.reply().isError()).isFalse();
            final Random random = new Random(0x7e12);
            int errors = 0;
            for (int i = 0; i < 400; i++) {
                final byte[] request = command(0x100 + i, REGION_READ, randomRegionRead(random));
                p.send(request);
                final Frame alone = frame(p.receive());
                p.send(command(0x2000 + i, REGION_WRITE, concat(le(0L, 0, 8), le((long) i))));
                p.send(request);
                answerDma(p, Command.DMA_READ);
                answerDma(p, Command.DMA_WRITE);
                assertThat(frame(p.receive()).header().isError()).isFalse(); // the REGION_WRITE
                final Frame queued = frame(p.receive());
                assertThat(alone.toBytes()).as("request %d: %s", i, alone).isEqualTo(queued.toBytes());
                errors += alone.header().isError() ? 1 : 0;
            }
            assertThat(errors).as("the loop covers both outcomes").isBetween(40, 360);
        }
    }

    /** A payload that is mostly well-formed, with every field sometimes out of range and sometimes the wrong length. */
    private static byte[] randomRegionRead(final Random r) {
        final long offset = switch (r.nextInt(8)) {
            case 0 -> 1L << 40;
            case 1 -> -1L;
            case 2, 3 -> r.nextInt(300);
            default -> r.nextInt(8);
        };
        final int region = switch (r.nextInt(8)) {
            case 0 -> 0xffff_ffff;
            case 1 -> r.nextInt(12);
            case 2, 3, 4 -> 0;
            default -> 7;
        };
        final int count = switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 0xffff_ffff;
            case 2 -> (int) CodecLimits.DEFAULT_MAX_DATA_XFER_SIZE + 1;
            case 3 -> 1 + r.nextInt(260);
            default -> 1 + r.nextInt(8 - (int) Math.min(7, offset & 7));
        };
        final byte[] fields = le(offset, region, count);
        return switch (r.nextInt(12)) {
            case 0 -> new byte[0];
            case 1 -> Arrays.copyOf(fields, r.nextInt(16));
            case 2 -> concat(fields, new byte[1 + r.nextInt(8)]);
            default -> fields;
        };
    }

    /** Answers the server's DMA request of kind {@code kind} from zeroed memory. */
    static void answerDma(final RawPeer p, final Command kind) throws Exception {
        final Frame f = frame(p.receive());
        assertThat(f.header().command()).isEqualTo(kind.code());
        final Decoded d = (Decoded) new MessageDecoder(CodecLimits.defaults()).decode(f);
        final Frame reply = switch (d.message()) {
            case DmaRead r -> MessageEncoder.reply(f.header().msgId(), new DmaReadReply(r.addr(),
                    Blob.wrap(new byte[(int) r.count()])));
            case DmaWrite w -> MessageEncoder.reply(f.header().msgId(), DmaWriteReply.of(w));
            default -> throw new AssertionError("not a DMA request: " + d);
        };
        p.send(reply.toBytes());
    }

    static Frame frame(final Incoming in) {
        assertThat(in).isInstanceOf(Incoming.Message.class);
        return ((Incoming.Message) in).frame();
    }
}
