package dev.tern.migration.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every way a stream can be damaged is seen by the reader, socket-free: it hands on the intact records before the
 * damage and then fails with a one-line {@link CorruptStreamException} naming the record, never with a record.
 */
class RecordCorruptionTest {

    private static byte[] record(final int kind, final int flags, final int device, final int seq, final int size) {
        return RecordCodec.encode(kind, flags, device, seq, Loopback.random(size, seq)).array();
    }

    private static byte[] concat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static RecordReader reader(final byte[] stream) {
        return new RecordReader(Loopback.source(stream), Records.MAX_PAYLOAD);
    }

    /** Reads records until the stream fails; returns how many came through and the failure. */
    private static Outcome drain(final byte[] stream) {
        final RecordReader r = reader(stream);
        int n = 0;
        while (true) {
            try {
                r.read();
                n++;
            } catch (final IOException e) {
                return new Outcome(n, e);
            }
        }
    }

    private record Outcome(int records, IOException failure) {
    }

    @Test
    void aMissingRecordIsASequenceGap() throws IOException {
        final byte[] stream = concat(record(3, 0, 1, 0, 10), record(3, 0, 1, 2, 10));
        final RecordReader r = reader(stream);
        assertThat(r.read().kind()).isEqualTo(RecordKind.DEVICE_DATA);
        assertThatThrownBy(r::read).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("record #1: sequence number 2 where 1 was due (record missing, repeated or reordered)");
    }

    @Test
    void aRepeatedRecordIsCorrupt() throws IOException {
        final byte[] one = record(7, 0, 0, 0, 33);
        final RecordReader r = reader(concat(one, one));
        r.read();
        assertThatThrownBy(r::read).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessageStartingWith("record #1: sequence number 0 where 1 was due");
    }

    @Test
    void reorderedRecordsAreCorrupt() throws IOException {
        final RecordReader r = reader(concat(record(3, 0, 0, 0, 5), record(3, 0, 0, 2, 5), record(3, 0, 0, 1, 5)));
        r.read();
        assertThatThrownBy(r::read).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessageStartingWith("record #1: sequence number 2 where 1 was due");
    }

    @Test
    void aRecordDroppedFromARealWriterIsNoticed() throws IOException {
        final byte[] stream = Loopback.written(w -> {
            for (int i = 0; i < 3; i++) {
                w.write(RecordKind.MEMORY_PAGES, 0, ByteBuffer.allocate(100));
            }
        });
        final int size = 120;
        final byte[] withoutMiddle = concat(Arrays.copyOfRange(stream, 0, size), Arrays.copyOfRange(stream, 2 * size,
                3 * size));
        assertThat(drain(withoutMiddle).records()).isEqualTo(1);
        assertThat(drain(withoutMiddle).failure()).hasMessageContaining("record #1: sequence number 2");
    }

    @Test
    void everyFlippedBitIsCaught() {
        final Random random = new Random(0x7e57);
        final byte[] first = record(3, 0, 4, 0, 64);
        final byte[] second = record(3, 0, 4, 1, 200);
        for (int trial = 0; trial < 2000; trial++) {
            final byte[] damaged = second.clone();
            final int at = trial < second.length ? trial : random.nextInt(second.length);
            damaged[at] ^= (byte) (1 << random.nextInt(8));
            final Outcome o = drain(concat(first, damaged));
            assertThat(o.records()).as("flip at byte %d", at).isEqualTo(1);
            assertThat(o.failure()).as("flip at byte %d", at).isExactlyInstanceOf(CorruptStreamException.class)
                    .hasMessageStartingWith("record #1: ");
        }
    }

    @Test
    void truncationIsCorruptExceptAtRecordBoundaries() {
        final byte[] a = record(5, 0, 0, 0, 0);
        final byte[] b = record(3, 0, 9, 1, 37);
        final byte[] stream = concat(a, b);
        for (int cut = 0; cut <= stream.length; cut++) {
            final Outcome o = drain(Arrays.copyOf(stream, cut));
            final int complete = cut >= stream.length ? 2 : cut >= a.length ? 1 : 0;
            assertThat(o.records()).as("cut at %d", cut).isEqualTo(complete);
            if (cut == 0 || cut == a.length || cut == stream.length) {
                assertThat(o.failure()).as("cut at %d", cut).isExactlyInstanceOf(EOFException.class)
                        .hasMessage("peer closed the stream");
            } else {
                assertThat(o.failure()).as("cut at %d", cut).isExactlyInstanceOf(CorruptStreamException.class)
                        .hasMessageContaining("record #" + complete + ": stream ended after");
            }
        }
    }

    @Test
    void anUnknownKindIsRejected() throws IOException {
        assertThatThrownBy(() -> reader(record(99, 0, 0, 0, 3)).read())
                .isExactlyInstanceOf(CorruptStreamException.class).hasMessage("record #0: unknown record kind 99");
        assertThatThrownBy(() -> reader(record(0, 0, 0, 0, 3)).read())
                .isExactlyInstanceOf(CorruptStreamException.class).hasMessage("record #0: unknown record kind 0");
    }

    @Test
    void nonZeroFlagsAreRejected() {
        assertThatThrownBy(() -> reader(record(3, 0x8000, 0, 0, 3)).read())
                .isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("record #0: reserved flags 0x8000 are not zero");
    }

    @Test
    void anOversizeLengthIsRejectedBeforeAnythingIsAllocated() {
        final byte[] header = new byte[RecordCodec.HEADER_SIZE];
        final ByteBuffer h = ByteBuffer.wrap(header);
        RecordCodec.putHeader(h, 0xffff_ffff, RecordKind.DEVICE_DATA.code(), 0, 0, 0);
        final RecordReader r = reader(header);
        assertThatThrownBy(r::read).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("record #0: payload length 4294967295 exceeds the limit of 16777216");
        assertThat(r.payloadCapacity()).isZero();

        final RecordReader small = new RecordReader(Loopback.source(record(3, 0, 0, 0, 1001)), 1000);
        assertThatThrownBy(small::read).hasMessage("record #0: payload length 1001 exceeds the limit of 1000");
        assertThat(small.payloadCapacity()).isZero();
    }

    @Test
    void aFailedReaderKeepsFailing() throws IOException {
        final byte[] bad = record(3, 0, 0, 0, 8);
        bad[RecordCodec.HEADER_SIZE] ^= 1;
        final RecordReader r = reader(concat(bad, record(3, 0, 0, 1, 8)));
        assertThatThrownBy(r::read).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessageStartingWith("record #0: CRC32C mismatch");
        assertThatThrownBy(r::read).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessageStartingWith("record #0: CRC32C mismatch");
        assertThat(r.records()).isZero();
    }

    @Test
    void aFlippedBitInTheFirstRecordOfALongStreamNeverYieldsARecord() {
        final List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            parts.add(record(7, 0, 1, i, 1000 + i));
        }
        final byte[] stream = concat(parts.toArray(byte[][]::new));
        final Random random = new Random(42);
        for (int trial = 0; trial < 300; trial++) {
            final byte[] damaged = stream.clone();
            final int at = random.nextInt(stream.length);
            damaged[at] ^= (byte) (1 << random.nextInt(8));
            final Outcome o = drain(damaged);
            int before = 0;
            int offset = 0;
            while (offset + parts.get(before).length <= at) {
                offset += parts.get(before++).length;
            }
            assertThat(o.records()).as("flip at %d", at).isEqualTo(before);
            assertThat(o.failure()).isExactlyInstanceOf(CorruptStreamException.class);
        }
    }
}
