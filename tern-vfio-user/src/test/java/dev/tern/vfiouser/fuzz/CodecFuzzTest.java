package dev.tern.vfiouser.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.DecodeResult;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.FrameDecoder;
import dev.tern.vfiouser.codec.FrameRejected;
import dev.tern.vfiouser.codec.Framed;
import dev.tern.vfiouser.codec.Malformed;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageGenerator;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzing target (a): the codec. Each input is one to three generated or mutated messages of any command, framed by
 * a {@link FrameDecoder} from random pieces (with random fd counts) and decoded by a {@link MessageDecoder}. Nothing
 * may throw, nothing may reach the decoder's last-resort guard, every refusal is EINVAL. 10^5 inputs in CI;
 * {@code -Dtern.fuzz.inputs=1000000} for a long run.
 */
class CodecFuzzTest {
    private static final CodecLimits LIMITS = CodecLimits.defaults();

    @Test
    @Timeout(600)
    void framerAndDecoderSurviveEveryInput() throws Exception {
        final Random r = new Random(FuzzCampaign.seed());
        final MessageGenerator gen = MessageGenerator.withEveryKindAsSeed();
        final MessageDecoder decoder = new MessageDecoder(LIMITS);
        final AtomicLong decoded = new AtomicLong();
        final AtomicLong frames = new AtomicLong();
        final FuzzCampaign.Figures f = FuzzCampaign.run("codec", FuzzCampaign.inputs(100_000), Duration.ofSeconds(1),
                i -> {
                    final ByteArrayOutputStream stream = new ByteArrayOutputStream();
                    for (int k = 0, n = 1 + r.nextInt(3); k < n; k++) {
                        stream.writeBytes(gen.next(r, 0.7));
                    }
                    final byte[] wire = stream.toByteArray();
                    final FrameDecoder framer = new FrameDecoder(LIMITS.maxMessageSize());
                    int at = 0;
                    while (at < wire.length && !framer.isFailed()) {
                        final int n = Math.min(wire.length - at, 1 + r.nextInt(r.nextBoolean() ? 8 : 512));
                        final byte[] piece = java.util.Arrays.copyOfRange(wire, at, at + n);
                        for (final Framed x : framer.feed(piece, r.nextInt(16) == 0 ? 1 + r.nextInt(3) : 0)) {
                            frames.incrementAndGet();
                            switch (x) {
                                case Frame frame -> {
                                    if (check(decoder.decode(frame))) {
                                        decoded.incrementAndGet();
                                    }
                                }
                                case FrameRejected rej -> assertThat(rej.errno()).isEqualTo(Errno.EINVAL);
                            }
                        }
                        at += n;
                    }
                    check(decoder.decode(wire, r.nextInt(8) == 0 ? 1 : 0));
                    return 1;
                });
        assertThat(f.failures()).isEmpty();
        assertThat(decoded.get()).as("the generator reaches well-formed messages too").isGreaterThan(f.inputs() / 4);
        assertThat(f.heapMiB()[2] - f.heapMiB()[0]).as("heap growth, MiB").isLessThan(64);
        assertThat(f.fds()[2]).isLessThanOrEqualTo(f.fds()[0]);
    }

    /** @return true if decoded */
    private static boolean check(final DecodeResult d) {
        assertThat(d).isNotNull();
        if (d instanceof Malformed m) {
            assertThat(m.reason()).doesNotStartWith("internal");
            assertThat(m.errno()).isEqualTo(Errno.EINVAL);
            return false;
        }
        return d instanceof Decoded;
    }
}
