package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Framing is independent of how the bytes are split. */
class FrameDecoderTest {
    private static final long MAX = CodecLimits.defaults().maxMessageSize();

    /** A stream of every round-trip message, with their fd counts. */
    private static List<Frame> sampleFrames() {
        final List<Frame> frames = new ArrayList<>();
        int id = 0;
        for (final Request r : RoundTripTest.requests()) {
            frames.add(MessageEncoder.command(id++, r));
        }
        for (final Reply r : RoundTripTest.replies()) {
            frames.add(MessageEncoder.reply(id++, r));
        }
        return frames;
    }

    private static byte[] concat(final List<Frame> frames) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        frames.forEach(f -> out.writeBytes(f.toBytes()));
        return out.toByteArray();
    }

    /** Feeds the stream cut at the given points, handing each frame's fds in with the piece holding its first byte. */
    private static List<Framed> feed(final List<Frame> frames, final List<Integer> cuts) {
        final byte[] stream = concat(frames);
        final int[] fdsAt = new int[stream.length + 1];
        int at = 0;
        for (final Frame f : frames) {
            fdsAt[at] += f.fdCount();
            at += (int) f.header().messageSize();
        }
        final FrameDecoder d = new FrameDecoder(MAX);
        final List<Framed> out = new ArrayList<>();
        int start = 0;
        for (final int cut : cuts) {
            int fds = 0;
            for (int i = start; i < cut; i++) {
                fds += fdsAt[i];
            }
            // fds sent with a message arrive with the piece holding its first byte
            out.addAll(d.feed(Arrays.copyOfRange(stream, start, cut), fds));
            start = cut;
        }
        assertThat(d.hasPartialFrame()).isFalse();
        return out;
    }

    @Test
    void wholeStreamAtOnce() {
        final List<Frame> frames = sampleFrames();
        final int total = concat(frames).length;
        // one piece per message, so each piece's fds are exact
        final List<Integer> cuts = new ArrayList<>();
        int at = 0;
        for (final Frame f : frames) {
            at += (int) f.header().messageSize();
            cuts.add(at);
        }
        assertThat(at).isEqualTo(total);
        assertThat(feed(frames, cuts)).containsExactlyElementsOf(frames);
    }

    @Test
    void byteByByte() {
        final List<Frame> frames = sampleFrames();
        final List<Integer> cuts = new ArrayList<>();
        for (int i = 1; i <= concat(frames).length; i++) {
            cuts.add(i);
        }
        assertThat(feed(frames, cuts)).containsExactlyElementsOf(frames);
    }

    @Test
    void randomSplitsYieldTheSameFrames() {
        final List<Frame> frames = sampleFrames();
        final int total = concat(frames).length;
        final int[] starts = new int[frames.size()];
        int at = 0;
        for (int i = 0; i < frames.size(); i++) {
            starts[i] = at;
            at += (int) frames.get(i).header().messageSize();
        }
        final Random rnd = new Random(0x7e57_f4a3L);
        for (int round = 0; round < 300; round++) {
            final List<Integer> cuts = new ArrayList<>();
            int pos = 0;
            while (pos < total) {
                int step = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 200);
                // a piece never runs into a later message that carries fds: on a real socket the kernel ends a
                // read before a message with SCM_RIGHTS attached
                for (int i = 0; i < starts.length; i++) {
                    if (starts[i] > pos && frames.get(i).fdCount() > 0) {
                        step = Math.min(step, starts[i] - pos);
                        break;
                    }
                }
                pos = Math.min(total, pos + step);
                cuts.add(pos);
            }
            assertThat(feed(frames, cuts)).as("round %d", round).containsExactlyElementsOf(frames);
        }
    }

    @Test
    void fdsGoToTheMessageTheirPieceStarts() {
        final Frame a = MessageEncoder.command(1, DmaMap.of(3, 0, 0x1000, 0x1000, true));
        final Frame b = MessageEncoder.command(2, new DeviceReset());
        final byte[] ab = Hex.concat(a.toBytes(), b.toBytes());
        final FrameDecoder d = new FrameDecoder(MAX);
        assertThat(d.feed(Arrays.copyOfRange(ab, 0, 5), 1)).isEmpty();
        final List<Framed> out = d.feed(Arrays.copyOfRange(ab, 5, ab.length), 0);
        assertThat(out).containsExactly(a, b);
        assertThat(((Frame) out.get(0)).fdCount()).isEqualTo(1);
        assertThat(((Frame) out.get(1)).fdCount()).isZero();
    }

    @Test
    void oversizeMessageIsSkippedAndTheStreamContinues() {
        final FrameDecoder d = new FrameDecoder(64);
        final Frame big = MessageEncoder.command(9, new RegionWrite(0, 0, Blob.wrap(new byte[100])));
        final Frame next = MessageEncoder.command(10, new RegionRead(0, 0, 4));
        final byte[] stream = Hex.concat(big.toBytes(), next.toBytes());
        final List<Framed> out = new ArrayList<>();
        for (int i = 0; i < stream.length; i += 7) {
            out.addAll(d.feed(Arrays.copyOfRange(stream, i, Math.min(stream.length, i + 7)), i == 0 ? 2 : 0));
        }
        assertThat(out).hasSize(2);
        final FrameRejected rej = (FrameRejected) out.get(0);
        assertThat(rej.fatal()).isFalse();
        assertThat(rej.errno()).isEqualTo(Errno.EINVAL);
        assertThat(rej.header().msgId()).isEqualTo(9);
        assertThat(rej.fdCount()).isEqualTo(2);
        assertThat(MessageEncoder.errorFor(rej.header(), rej.errno()).toBytes())
                .isEqualTo(Hex.bytes("09 00 0a 00 10 00 00 00 21 00 00 00 16 00 00 00"));
        assertThat(out.get(1)).isEqualTo(next);
        assertThat(d.isFailed()).isFalse();
    }

    @Test
    void tooSmallMsgSizeIsFatal() {
        final FrameDecoder d = new FrameDecoder(MAX);
        final List<Framed> out = d.feed(Hex.bytes("01 00 09 00 0f 00 00 00 00 00 00 00 00 00 00 00 | ff ff"), 0);
        assertThat(out).singleElement().isInstanceOf(FrameRejected.class);
        assertThat(((FrameRejected) out.getFirst()).fatal()).isTrue();
        assertThat(d.isFailed()).isTrue();
        assertThat(d.feed(MessageEncoder.command(1, new DeviceReset()).toBytes(), 0)).isEmpty();
    }

    @Test
    void emptyPiecesAndPartialState() {
        final FrameDecoder d = new FrameDecoder(MAX);
        assertThat(d.feed(new byte[0], 0)).isEmpty();
        assertThat(d.hasPartialFrame()).isFalse();
        final byte[] reset = MessageEncoder.command(1, new DeviceReset()).toBytes();
        assertThat(d.feed(Arrays.copyOf(reset, 3), 0)).isEmpty();
        assertThat(d.hasPartialFrame()).isTrue();
        assertThat(d.feed(Arrays.copyOfRange(reset, 3, 16), 0)).hasSize(1);
        assertThat(d.hasPartialFrame()).isFalse();
    }
}
