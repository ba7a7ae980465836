package dev.tern.migration.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.EOFException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the migration record reader and the preamble (issue 9, "fuzzing in the build"): seeded, structure-aware
 * mutations of valid streams ({@link RecordStreamMutator}) read through a channel that hands out random short
 * reads. For every input: the only outcomes are verified records, then {@link EOFException} or
 * {@link CorruptStreamException} (the module's documented exceptions; anything else fails the run with the input's
 * seed); a second read after a failure fails the same way; no input runs past its deadline; the payload buffer never
 * exceeds the reader's limit and the heap after GC stays bounded.
 * <p>
 * {@code -Dtern.fuzz.inputs=N} sets the number of inputs per target (default 100,000), {@code -Dtern.fuzz.seed=S}
 * the base seed (input i uses seed S + i).
 */
class RecordReaderFuzzTest {
    static final int INPUTS = Integer.getInteger("tern.fuzz.inputs", 100_000);
    static final long SEED = Long.getLong("tern.fuzz.seed", 0x7e51_3a9bL);
    /** Generous for one input of a few KiB; a reader that loops or blocks on its input trips it. */
    static final long DEADLINE_NANOS = 2_000_000_000L;
    /** The readers under test accept up to this; larger claimed lengths are refused before any allocation. */
    static final int MAX_PAYLOAD = 1 << 20;
    private static final long HEAP_GROWTH_BOUND = 64L << 20;

    @Test
    void mutatedRecordStreamsOnlyEverYieldVerifiedRecordsOrTheDocumentedExceptions() throws Exception {
        campaign("record reader", seed -> {
            final SplittableRandom random = new SplittableRandom(seed);
            final byte[] stream = RecordStreamMutator.mutated(random, RecordStreamMutator.CRC);
            return readAll(new RecordReader(new ShortReads(stream, random.split()), MAX_PAYLOAD), stream.length);
        });
    }

    @Test
    void mutatedMacSealedStreamsOnlyEverYieldVerifiedRecordsOrTheDocumentedExceptions() throws Exception {
        final byte[] key = new byte[32];
        new SplittableRandom(SEED).nextBytes(key);
        final RecordStreamMutator.Sealer sealer = RecordStreamMutator.mac(key);
        campaign("record reader, HMAC-sealed", seed -> {
            final SplittableRandom random = new SplittableRandom(seed);
            final byte[] stream = RecordStreamMutator.mutated(random, sealer);
            return readAll(new RecordReader(new ShortReads(stream, random.split()), MAX_PAYLOAD,
                    RecordSeal.hmacSha256(key)), stream.length);
        });
    }

    @Test
    void mutatedPreamblesAreReadOrRefusedWithTheDocumentedExceptions() throws Exception {
        campaign("preamble", seed -> {
            final SplittableRandom random = new SplittableRandom(seed);
            final byte[] stream = PreambleMutator.mutated(random);
            try {
                Preamble.read(new ShortReads(stream, random.split()));
                return "read";
            } catch (final EOFException | CorruptStreamException e) {
                return e.getClass().getSimpleName();
            } catch (final IOException e) {
                throw new AssertionError("undocumented " + e, e);
            }
        });
    }

    /** Reads records until the stream fails; checks the failure is documented and sticky. */
    static String readAll(final RecordReader reader, final int inputBytes) {
        int records = 0;
        try {
            while (true) {
                final Record r = reader.read();
                assertThat(r.payload().remaining()).isLessThanOrEqualTo(MAX_PAYLOAD);
                records++;
            }
        } catch (final EOFException | CorruptStreamException first) {
            assertThat(reader.payloadCapacity()).isLessThanOrEqualTo(MAX_PAYLOAD);
            assertThat((long) records * (RecordCodec.HEADER_SIZE + RecordCodec.TRAILER_SIZE))
                    .isLessThanOrEqualTo(inputBytes);
            try {
                reader.read();
                throw new AssertionError("a read after " + first + " succeeded");
            } catch (final IOException again) {
                assertThat(again).isInstanceOf(first.getClass());
            }
            return first.getClass().getSimpleName();
        } catch (final IOException e) {
            throw new AssertionError("undocumented " + e, e);
        }
    }

    /**
     * Runs {@code target} over {@link #INPUTS} seeds on a worker thread while this thread enforces the per-input
     * deadline, then checks the heap after GC grew by less than {@link #HEAP_GROWTH_BOUND}.
     */
    static void campaign(final String name, final Function<Long, String> target) throws Exception {
        final long heapBefore = heapAfterGc();
        final AtomicLong current = new AtomicLong(-1);
        final AtomicLong startedAt = new AtomicLong();
        final Throwable[] failure = new Throwable[1];
        final java.util.Map<String, Integer> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
        final Thread worker = Thread.ofPlatform().name("fuzz-" + name).start(() -> {
            for (int i = 0; i < INPUTS; i++) {
                final long seed = SEED + i;
                startedAt.set(System.nanoTime());
                current.set(seed);
                try {
                    outcomes.merge(target.apply(seed), 1, Integer::sum);
                } catch (final Throwable t) {
                    failure[0] = new AssertionError(name + ": input seed " + seed + " (-Dtern.fuzz.seed=" + seed
                            + " -Dtern.fuzz.inputs=1): " + t, t);
                    return;
                }
            }
            current.set(-1);
        });
        final long start = System.nanoTime();
        while (worker.isAlive()) {
            worker.join(100);
            final long seed = current.get();
            if (worker.isAlive() && seed >= 0 && System.nanoTime() - startedAt.get() > DEADLINE_NANOS) {
                worker.interrupt();
                fail(name + ": input seed " + seed + " ran past its " + DEADLINE_NANOS / 1_000_000 + " ms deadline");
            }
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0].getMessage(), failure[0]);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        final long growth = heapAfterGc() - heapBefore;
        System.out.printf(Locale.ROOT, "fuzz %s: %d inputs in %.1f s (%.0f/s), heap after GC %+d KiB, outcomes %s%n",
                name, INPUTS, seconds, INPUTS / seconds, growth / 1024, new java.util.TreeMap<>(outcomes));
        assertThat(growth).as("heap growth after GC").isLessThan(HEAP_GROWTH_BOUND);
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** A blocking channel over bytes that returns random short reads (1 byte up to what was asked). */
    static final class ShortReads implements ReadableByteChannel {
        private final ByteBuffer data;
        private final SplittableRandom random;
        private boolean open = true;

        ShortReads(final byte[] bytes, final SplittableRandom random) {
            this.data = ByteBuffer.wrap(bytes);
            this.random = random;
        }

        @Override
        public int read(final ByteBuffer dst) {
            if (!data.hasRemaining()) {
                return -1;
            }
            final int n = Math.min(data.remaining(), random.nextInt(4) == 0 ? 1 + random.nextInt(dst.remaining())
                    : dst.remaining());
            dst.put(dst.position(), data, data.position(), n).position(dst.position() + n);
            data.position(data.position() + n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** Valid preambles of both roles, then byte-level damage or a field rewritten with its CRC made right. */
    static final class PreambleMutator {
        static byte[] mutated(final SplittableRandom random) {
            final int n = random.nextInt(Preamble.MAX_DATA_CONNECTIONS + 1);
            final Preamble valid = random.nextBoolean() || n == 0 ? Preamble.control(random.nextLong(), n)
                    : Preamble.data(random.nextLong(), random.nextInt(n), n);
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try {
                valid.write(java.nio.channels.Channels.newChannel(out));
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
            byte[] bytes = out.toByteArray();
            final int mutations = random.nextInt(3);
            for (int i = 0; i < mutations; i++) {
                final int at = random.nextInt(bytes.length);
                switch (random.nextInt(4)) {
                    case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                    case 1 -> bytes = java.util.Arrays.copyOf(bytes, at);
                    case 2 -> {
                        if (bytes.length < Preamble.SIZE) {
                            break;
                        }
                        // A field changed (version, role, counts, index), CRC recomputed: only the field checks
                        // can refuse it.
                        bytes[8 + random.nextInt(20)] = (byte) random.nextInt(256);
                        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                        crc.update(bytes, 0, 28);
                        ByteBuffer.wrap(bytes).putInt(28, (int) crc.getValue());
                    }
                    default -> bytes = java.util.Arrays.copyOf(bytes, bytes.length + random.nextInt(8));
                }
                if (bytes.length == 0) {
                    break;
                }
            }
            return bytes;
        }
    }
}
