package dev.tern.migration.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Records through real TCP on 127.0.0.1 and through memory: everything written is read back, verified. */
class RecordRoundTripTest {
    private static final int[] SIZES = {0, 1, 100, 1 << 20, Records.MAX_PAYLOAD};

    @Test
    void everyKindAndSizeCrossesATcpConnection() throws Exception {
        final List<ByteBuffer> sent = new ArrayList<>();
        for (final RecordKind kind : RecordKind.values()) {
            for (final int size : SIZES) {
                sent.add(Loopback.random(size, kind.code() * 31L + size));
            }
        }
        try (Loopback tcp = Loopback.open(); var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            final RecordWriter writer = new RecordWriter(tcp.client());
            final CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    int i = 0;
                    for (final RecordKind kind : RecordKind.values()) {
                        for (final int ignored : SIZES) {
                            writer.write(kind, kind.code() + 1000, sent.get(i++).duplicate());
                        }
                    }
                    writer.close();
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, threads);
            final RecordReader reader = new RecordReader(tcp.server(), Records.MAX_PAYLOAD);
            int i = 0;
            for (final RecordKind kind : RecordKind.values()) {
                for (final int size : SIZES) {
                    final Record r = reader.read();
                    assertThat(r.kind()).isEqualTo(kind);
                    assertThat(r.deviceId()).isEqualTo(kind.code() + 1000);
                    assertThat(r.payload().isReadOnly()).isTrue();
                    assertThat(r.payload().position()).isZero();
                    assertThat(r.payload().remaining()).isEqualTo(size);
                    assertThat(r.payload()).isEqualTo(sent.get(i++));
                }
            }
            assertThatThrownBy(reader::read).isExactlyInstanceOf(EOFException.class)
                    .hasMessage("peer closed the stream");
            writing.join();
            final long expected = sent.stream().mapToLong(b -> b.capacity() + 20L).sum();
            assertThat(writer.bytesWritten()).isEqualTo(expected);
            assertThat(reader.bytesRead()).isEqualTo(expected);
            assertThat(writer.records()).isEqualTo(reader.records()).isEqualTo(sent.size());
            assertThat(reader.payloadCapacity()).isEqualTo(Records.MAX_PAYLOAD);
        }
    }

    @Test
    void gatheringPartsAreConcatenatedAndConsumed() throws Exception {
        final ByteBuffer a = ByteBuffer.wrap(new byte[] {1, 2, 3});
        final ByteBuffer b = ByteBuffer.allocateDirect(0);
        final ByteBuffer c = Loopback.random(70_000, 7);
        final ByteBuffer d = ByteBuffer.wrap(new byte[] {0, 9, 8, 7}).position(1);
        final ByteBuffer[] parts = {a, b, c, d, ByteBuffer.wrap(new byte[] {42}), ByteBuffer.allocate(5)};
        try (Loopback tcp = Loopback.open()) {
            final RecordWriter writer = new RecordWriter(tcp.client());
            final RecordReader reader = new RecordReader(tcp.server(), Records.MAX_PAYLOAD);
            final CompletableFuture<Record> read = CompletableFuture.supplyAsync(() -> {
                try {
                    final Record r = reader.read();
                    return new Record(r.kind(), r.deviceId(), ByteBuffer.wrap(r.payloadBytes()));
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            writer.write(RecordKind.MEMORY_PAGES, 3, parts);
            for (final ByteBuffer part : parts) {
                assertThat(part.hasRemaining()).isFalse();
            }
            final Record r = read.join();
            final ByteBuffer expected = ByteBuffer.allocate(3 + 70_000 + 3 + 1 + 5)
                    .put(new byte[] {1, 2, 3}).put(c.flip()).put(new byte[] {9, 8, 7, 42}).put(new byte[5]).flip();
            assertThat(r.kind()).isEqualTo(RecordKind.MEMORY_PAGES);
            assertThat(r.deviceId()).isEqualTo(3);
            assertThat(r.payload()).isEqualTo(expected);
        }
    }

    @Test
    void manySmallRecordsThroughMemoryKeepTheirOrderAndPayloads() throws Exception {
        final byte[] stream = Loopback.written(w -> {
            w.write(RecordKind.HELLO, 0);
            for (int i = 0; i < 5000; i++) {
                w.write(RecordKind.DEVICE_DATA, i % 7, ByteBuffer.allocate(4).putInt(0, i), ByteBuffer.allocate(i % 50));
            }
            w.write(RecordKind.DEVICE_END, -1);
        });
        final RecordReader reader = new RecordReader(Loopback.source(stream), 64);
        assertThat(reader.read().kind()).isEqualTo(RecordKind.HELLO);
        for (int i = 0; i < 5000; i++) {
            final Record r = reader.read();
            assertThat(r.deviceId()).isEqualTo(i % 7);
            assertThat(r.payload().getInt(0)).isEqualTo(i);
            assertThat(r.payload().remaining()).isEqualTo(4 + i % 50);
        }
        final Record end = reader.read();
        assertThat(end.kind()).isEqualTo(RecordKind.DEVICE_END);
        assertThat(end.deviceId()).isEqualTo(-1);
        assertThat(end.payload().remaining()).isZero();
        assertThatThrownBy(reader::read).isInstanceOf(EOFException.class);
        assertThat(reader.bytesRead()).isEqualTo(stream.length);
    }

    @Test
    void headerLayoutIsBigEndianAsDrawn() throws Exception {
        final byte[] stream = Loopback.written(w -> {
            w.write(RecordKind.ABORT, 0);
            w.write(RecordKind.HEARTBEAT, 0x01020304, ByteBuffer.wrap(new byte[] {(byte) 0xab}));
        });
        assertThat(HexFormat.of().formatHex(stream, 20, 36))
                .isEqualTo("00000001" + "000e" + "0000" + "01020304" + "00000001");
        assertThat(stream[36]).isEqualTo((byte) 0xab);
        assertThat(stream).hasSize(20 + 21);
        final ByteBuffer same = RecordCodec.encode(14, 0, 0x01020304, 1, ByteBuffer.wrap(new byte[] {(byte) 0xab}));
        assertThat(Arrays.copyOfRange(stream, 20, 41)).isEqualTo(same.array());
    }

    @Test
    void kindCodesAreStable() {
        assertThat(RecordKind.values()).extracting(RecordKind::code)
                .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        for (final RecordKind k : RecordKind.values()) {
            assertThat(RecordKind.of(k.code())).contains(k);
        }
        assertThat(RecordKind.of(0)).isEmpty();
        assertThat(RecordKind.of(17)).isEmpty();
        assertThat(RecordKind.of(-1)).isEmpty();
        assertThat(RecordKind.of(0xffff)).isEmpty();
    }
}
