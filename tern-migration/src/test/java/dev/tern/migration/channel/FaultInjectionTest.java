package dev.tern.migration.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.testing.FaultProxy;
import dev.tern.migration.wire.CorruptStreamException;
import dev.tern.migration.wire.Preamble;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordReader;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.migration.wire.Records;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Faults injected by {@link FaultProxy} between a real writer and a real reader are seen, never loaded. */
class FaultInjectionTest {
    private static final int PAYLOAD = 1000;
    private static final int RECORD = PAYLOAD + 20;
    private ServerSocketChannel target;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        target = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        proxy = FaultProxy.start((InetSocketAddress) target.getLocalAddress());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        target.close();
    }

    /**
     * Source writes {@code count} records through the proxy, as many as it can before a cut resets it; returns the
     * destination's reader.
     */
    private RecordReader stream(final SocketChannel source, final int count) throws IOException {
        final RecordWriter writer = new RecordWriter(source);
        try {
            for (int i = 0; i < count; i++) {
                writer.write(RecordKind.DEVICE_DATA, 0, ByteBuffer.allocateDirect(PAYLOAD));
            }
        } catch (final IOException resetByACut) {
            assertThat(proxy.bytesForwarded()).isPositive();
        }
        return new RecordReader(target.accept(), Records.MAX_PAYLOAD);
    }

    private static int readAll(final RecordReader reader) throws IOException {
        int n = 0;
        while (true) {
            reader.read();
            n++;
        }
    }

    @Test
    void aCutInsideARecordIsCorruptAndTheWriterFails() throws IOException {
        proxy.cutAfterBytes(2L * RECORD + 500);
        try (SocketChannel source = SocketChannel.open(proxy.address())) {
            final RecordReader reader = stream(source, 4);
            for (int i = 0; i < 2; i++) {
                assertThat(reader.read().payload().remaining()).isEqualTo(PAYLOAD);
            }
            assertThatThrownBy(reader::read).isExactlyInstanceOf(CorruptStreamException.class)
                    .hasMessage("record #2: stream ended after 484 of 1000 payload bytes");
            final RecordWriter late = new RecordWriter(source);
            assertThatThrownBy(() -> {
                for (int i = 0; i < 10_000; i++) {
                    late.write(RecordKind.DEVICE_DATA, 0, ByteBuffer.allocateDirect(PAYLOAD));
                    Thread.sleep(1);
                }
            }).isInstanceOf(IOException.class);
            assertThat(proxy.bytesForwarded()).isEqualTo(2L * RECORD + 500);
        }
    }

    @Test
    void aCutAtARecordBoundaryIsAnOrderlyEnd() throws IOException {
        proxy.cutAfterBytes(3L * RECORD);
        try (SocketChannel source = SocketChannel.open(proxy.address())) {
            final RecordReader reader = stream(source, 5);
            assertThatThrownBy(() -> readAll(reader)).isExactlyInstanceOf(EOFException.class)
                    .hasMessage("peer closed the stream");
            assertThat(reader.records()).isEqualTo(3);
        }
    }

    @Test
    void aFlippedBitInFlightIsCorrupt() throws IOException {
        proxy.corruptByteAt(3L * RECORD + 16 + 123);
        try (SocketChannel source = SocketChannel.open(proxy.address())) {
            final RecordReader reader = stream(source, 5);
            assertThatThrownBy(() -> readAll(reader)).isExactlyInstanceOf(CorruptStreamException.class)
                    .hasMessageStartingWith("record #3: CRC32C mismatch");
            assertThat(reader.records()).isEqualTo(3);
        }
    }

    @Test
    void cuttingASessionEndsEveryConnection() throws Exception {
        try (MigrationListener listener = MigrationListener.bind(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty());
                FaultProxy front = FaultProxy.start(listener.address());
                Session source = MigrationConnector.connect(front.address(), 2, Optional.empty(),
                        Duration.ofSeconds(10));
                Session destination = listener.accept(Duration.ofSeconds(10))) {
            // The proxy counts a byte after forwarding it, so the session can form before the count catches up.
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (front.bytesForwarded() < 3L * Preamble.SIZE && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(front.bytesForwarded()).isEqualTo(3L * Preamble.SIZE);
            source.data().get(1).writer().write(RecordKind.DEVICE_DATA, 1, ByteBuffer.allocate(PAYLOAD));
            assertThat(destination.data().get(1).reader().read().payload().remaining()).isEqualTo(PAYLOAD);
            final CompletableFuture<Throwable> control = CompletableFuture.supplyAsync(() -> {
                try {
                    destination.control().reader().read();
                    return null;
                } catch (final IOException e) {
                    return e;
                }
            });
            Thread.sleep(50);
            front.cutAll();
            assertThat(control.get(5, TimeUnit.SECONDS)).isExactlyInstanceOf(EOFException.class);
            for (final Connection c : destination.data()) {
                assertThatThrownBy(() -> c.reader().read()).isExactlyInstanceOf(EOFException.class);
            }
            assertThatThrownBy(() -> source.control().reader().read()).isInstanceOf(IOException.class)
                    .isNotInstanceOf(CorruptStreamException.class);
        }
    }

    @Test
    void theProxyOnlyForwardsToLoopback() {
        assertThatThrownBy(() -> FaultProxy.start(new InetSocketAddress("192.0.2.1", 9)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
