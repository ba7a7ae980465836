package dev.tern.migration.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.wire.Preamble;
import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Plain-TCP sessions on 127.0.0.1: forming, matching, rejecting, timing out, closing. */
class SessionFormingTest {
    private static final Duration LONG = Duration.ofSeconds(10);
    private MigrationListener listener;

    @BeforeEach
    void bind() throws IOException {
        listener = MigrationListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Optional.empty());
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    private SocketChannel raw(final Preamble preamble) throws IOException {
        final SocketChannel s = SocketChannel.open(listener.address());
        if (preamble != null) {
            preamble.write(s);
        }
        return s;
    }

    /** @return what the raw socket's peer did: -1 for a closed stream, else the byte; fails after 5 s */
    private static int nextByte(final SocketChannel s) throws IOException {
        s.socket().setSoTimeout(5000);
        final InputStream in = s.socket().getInputStream();
        try {
            return in.read();
        } catch (final SocketTimeoutException e) {
            throw new AssertionError("peer neither closed nor sent", e);
        } catch (final IOException reset) {
            return -1;
        }
    }

    @Test
    void connectorAndListenerFormASessionWithRecordsBothWays() throws IOException {
        try (Session source = MigrationConnector.connect(listener.address(), 3, Optional.empty(), LONG);
                Session destination = listener.accept(LONG)) {
            assertThat(destination.id()).isEqualTo(source.id()).isNotZero();
            assertThat(destination.data()).hasSize(3);
            assertThat(listener.address().getPort()).isPositive();
            for (int i = 0; i < 3; i++) {
                source.data().get(i).writer().write(RecordKind.DEVICE_DATA, i, ByteBuffer.allocate(10 + i));
            }
            source.control().writer().write(RecordKind.HELLO, 0, ByteBuffer.wrap(new byte[] {1}));
            for (int i = 0; i < 3; i++) {
                final Record r = destination.data().get(i).reader().read();
                assertThat(r.deviceId()).isEqualTo(i);
                assertThat(r.payload().remaining()).isEqualTo(10 + i);
            }
            assertThat(destination.control().reader().read().kind()).isEqualTo(RecordKind.HELLO);
            destination.control().writer().write(RecordKind.HELLO_REPLY, 0);
            assertThat(source.control().reader().read().kind()).isEqualTo(RecordKind.HELLO_REPLY);
            assertThat(destination.control().peer()).startsWith("127.0.0.1:");
            assertThat(destination.control().secure()).isFalse();
        }
    }

    @Test
    void dataConnectionsInShuffledOrderLandAtTheirDeviceIndex() throws IOException {
        final long id = 0x5eed;
        final List<Preamble> preambles = new ArrayList<>(List.of(Preamble.control(id, 3)));
        for (int i = 0; i < 3; i++) {
            preambles.add(Preamble.data(id, i, 3));
        }
        Collections.shuffle(preambles, new Random(3));
        assertThat(preambles.getFirst().role()).isEqualTo(Preamble.Role.DATA);
        final List<SocketChannel> clients = new ArrayList<>();
        for (final Preamble p : preambles) {
            final SocketChannel s = raw(p);
            clients.add(s);
            new RecordWriter(s).write(RecordKind.DEVICE_DATA, p.deviceId() + 100);
        }
        try (Session session = listener.accept(LONG)) {
            assertThat(session.id()).isEqualTo(id);
            for (int i = 0; i < 3; i++) {
                assertThat(session.data().get(i).reader().read().deviceId()).isEqualTo(i + 100);
            }
            assertThat(session.control().reader().read().deviceId()).isEqualTo(100);
        } finally {
            for (final SocketChannel s : clients) {
                s.close();
            }
        }
    }

    @Test
    void foreignAndGarbageConnectionsAreRejectedWhileTheSessionForms() throws IOException {
        try (SocketChannel foreignEarly = raw(Preamble.data(1, 0, 1));
                SocketChannel garbage = SocketChannel.open(listener.address());
                SocketChannel control = raw(Preamble.control(2, 2));
                SocketChannel foreignLate = raw(Preamble.data(3, 1, 2));
                SocketChannel wrongCount = raw(Preamble.data(2, 0, 3));
                SocketChannel data0 = raw(Preamble.data(2, 0, 2));
                SocketChannel duplicate = raw(Preamble.data(2, 0, 2));
                SocketChannel secondControl = raw(Preamble.control(2, 2));
                SocketChannel data1 = raw(Preamble.data(2, 1, 2))) {
            garbage.write(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            try (Session session = listener.accept(LONG)) {
                assertThat(session.id()).isEqualTo(2);
                assertThat(session.data()).hasSize(2);
                for (final SocketChannel rejected : List.of(foreignEarly, garbage, foreignLate, wrongCount)) {
                    assertThat(nextByte(rejected)).isEqualTo(-1);
                }
            }
            assertThat(List.of(nextByte(duplicate), nextByte(secondControl))).containsOnly(-1);
        }
    }

    @Test
    void acceptTimesOutWithNothingAndSaysSo() throws IOException {
        final long start = System.nanoTime();
        assertThatThrownBy(() -> listener.accept(Duration.ofMillis(300)))
                .isExactlyInstanceOf(SocketTimeoutException.class)
                .hasMessageContaining("no control connection arrived");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 5000L);
    }

    @Test
    void anIncompleteSessionTimesOutAndIsClosed() throws IOException {
        try (SocketChannel control = raw(Preamble.control(9, 2));
                SocketChannel data = raw(Preamble.data(9, 1, 2));
                SocketChannel foreign = raw(Preamble.data(8, 0, 2))) {
            assertThatThrownBy(() -> listener.accept(Duration.ofMillis(500)))
                    .isExactlyInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("session 0000000000000009 has 1 of 2 data connections")
                    .hasMessageContaining("rejected 1: 127.0.0.1:")
                    .hasMessageContaining("session 0000000000000008 is not the session being formed");
            assertThat(nextByte(control)).isEqualTo(-1);
            assertThat(nextByte(data)).isEqualTo(-1);
        }
        try (Session late = MigrationConnector.connect(listener.address(), 1, Optional.empty(), LONG);
                Session accepted = listener.accept(LONG)) {
            assertThat(accepted.id()).isEqualTo(late.id());
        }
    }

    @Test
    void aSilentConnectionDoesNotHoldUpTheSession() throws IOException {
        try (SocketChannel silent = SocketChannel.open(listener.address());
                Session source = MigrationConnector.connect(listener.address(), 2, Optional.empty(), LONG)) {
            final long start = System.nanoTime();
            try (Session destination = listener.accept(LONG)) {
                assertThat(destination.id()).isEqualTo(source.id());
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
            assertThat(nextByte(silent)).isEqualTo(-1);
        }
    }

    @Test
    void aSessionWithoutDataConnectionsFormsFromItsControlAlone() throws IOException {
        try (Session source = MigrationConnector.connect(listener.address(), 0, Optional.empty(), LONG);
                Session destination = listener.accept(LONG)) {
            assertThat(destination.data()).isEmpty();
            assertThat(destination.id()).isEqualTo(source.id());
        }
    }

    @Test
    void closeUnblocksAReaderAndIsIdempotent() throws Exception {
        try (Session source = MigrationConnector.connect(listener.address(), 1, Optional.empty(), LONG);
                Session destination = listener.accept(LONG)) {
            final Connection c = destination.data().getFirst();
            final CompletableFuture<Throwable> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    c.reader().read();
                    return null;
                } catch (final IOException e) {
                    return e;
                }
            });
            Thread.sleep(100);
            assertThat(blocked).isNotDone();
            c.close();
            c.close();
            assertThat(blocked.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class)
                    .isNotInstanceOf(EOFException.class);
            assertThatThrownBy(() -> source.data().getFirst().reader().read())
                    .isExactlyInstanceOf(EOFException.class).hasMessage("peer closed the stream");
        }
    }

    @Test
    void abortResetsThePeer() throws IOException {
        try (Session source = MigrationConnector.connect(listener.address(), 1, Optional.empty(), LONG);
                Session destination = listener.accept(LONG)) {
            source.data().getFirst().writer().write(RecordKind.DEVICE_DATA, 0, ByteBuffer.allocate(100));
            source.abort();
            assertThatThrownBy(() -> {
                while (true) {
                    destination.data().getFirst().reader().read();
                }
            }).isInstanceOf(IOException.class).isNotInstanceOf(EOFException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void closingTheListenerEndsAnAccept() throws Exception {
        final CompletableFuture<Throwable> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                listener.accept(LONG).close();
                return null;
            } catch (final IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        listener.close();
        assertThat(accepting.get(5, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
    }

    @Test
    void connectingToNothingFails() throws IOException {
        final InetSocketAddress nowhere = listener.address();
        listener.close();
        assertThatThrownBy(() -> MigrationConnector.connect(nowhere, 1, Optional.empty(), Duration.ofSeconds(2)))
                .isInstanceOf(IOException.class);
    }
}
