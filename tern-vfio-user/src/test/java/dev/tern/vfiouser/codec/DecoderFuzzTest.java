package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random inputs: the decoders never throw and never hit their last-resort guard. */
class DecoderFuzzTest {
    private static final int ITERATIONS = 20_000;

    private static List<byte[]> seeds() {
        final List<byte[]> seeds = new ArrayList<>();
        for (final Request r : RoundTripTest.requests()) {
            seeds.add(MessageEncoder.command(1, r).toBytes());
        }
        for (final Reply r : RoundTripTest.replies()) {
            seeds.add(MessageEncoder.reply(1, r).toBytes());
        }
        return seeds;
    }

    private static void fixSize(final byte[] m) {
        if (m.length >= Header.SIZE) {
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(4, m.length);
        }
    }

    private static byte[] mutate(final byte[] seed, final Random rnd) {
        byte[] m = seed.clone();
        switch (rnd.nextInt(5)) {
            case 0 -> {
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) {
                    m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
                }
            }
            case 1 -> m = Arrays.copyOf(m, rnd.nextInt(m.length + 1));
            case 2 -> {
                m = Arrays.copyOf(m, m.length + 1 + rnd.nextInt(40));
                for (int i = seed.length; i < m.length; i++) {
                    m[i] = (byte) rnd.nextInt(256);
                }
            }
            case 3 -> {
                // poke a plausible small or extreme value into a random aligned field
                final int at = Header.SIZE + 4 * rnd.nextInt(Math.max(1, (m.length - Header.SIZE) / 4));
                if (at + 4 <= m.length) {
                    final int[] vals = {0, 1, 7, 8, 16, 24, 32, 40, 48, -1, Integer.MIN_VALUE, 0x7fff_ffff, 4096};
                    ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(at, vals[rnd.nextInt(vals.length)]);
                }
            }
            default -> {
                for (int i = Header.SIZE; i < m.length; i++) {
                    if (rnd.nextInt(8) == 0) {
                        m[i] = (byte) rnd.nextInt(256);
                    }
                }
            }
        }
        if (rnd.nextInt(3) != 0) {
            fixSize(m);
        }
        return m;
    }

    private static void check(final DecodeResult r) {
        assertThat(r).isNotNull();
        if (r instanceof Malformed m) {
            assertThat(m.reason()).doesNotStartWith("internal");
            assertThat(m.errno()).isEqualTo(Errno.EINVAL);
        }
    }

    @Test
    void randomAndMutatedMessagesNeverThrow() {
        final Random rnd = new Random(20_260_917L);
        final List<byte[]> seeds = seeds();
        final MessageDecoder dec = new MessageDecoder(CodecLimits.forDataXfer(4096, 4));
        int decoded = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            final byte[] wire;
            if (i % 4 == 0) {
                wire = new byte[rnd.nextInt(120)];
                rnd.nextBytes(wire);
                if (rnd.nextBoolean() && wire.length >= Header.SIZE) {
                    wire[2] = (byte) (1 + rnd.nextInt(18));
                    wire[3] = 0;
                    wire[8] = (byte) rnd.nextInt(2);
                    fixSize(wire);
                }
            } else {
                wire = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            }
            final DecodeResult r = dec.decode(wire, rnd.nextInt(8) == 0 ? rnd.nextInt(6) : 0);
            check(r);
            if (r instanceof Decoded) {
                decoded++;
            }
        }
        assertThat(decoded).as("the fuzzer also reaches valid messages").isGreaterThan(ITERATIONS / 50);
    }

    @Test
    void randomStreamsThroughTheFramerNeverThrow() {
        final Random rnd = new Random(42L);
        final List<byte[]> seeds = seeds();
        final MessageDecoder dec = new MessageDecoder(CodecLimits.defaults());
        for (int round = 0; round < 200; round++) {
            final FrameDecoder framer = new FrameDecoder(CodecLimits.defaults().maxMessageSize());
            for (int piece = 0; piece < 50 && !framer.isFailed(); piece++) {
                final byte[] bytes = rnd.nextInt(3) == 0 ? new byte[rnd.nextInt(64)]
                        : mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
                if (bytes.length > 0 && bytes.length < 64 && rnd.nextBoolean()) {
                    rnd.nextBytes(bytes);
                }
                for (final Framed f : framer.feed(bytes, rnd.nextInt(10) == 0 ? 1 : 0)) {
                    if (f instanceof Frame frame) {
                        check(dec.decode(frame));
                    } else {
                        assertThat(((FrameRejected) f).errno()).isEqualTo(Errno.EINVAL);
                    }
                }
            }
        }
    }
}
