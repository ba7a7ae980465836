package dev.tern.migration.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.testing.FaultProxy;
import dev.tern.migration.wire.CorruptStreamException;
import dev.tern.migration.wire.Preamble;
import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordReader;
import dev.tern.migration.wire.RecordSeal;
import dev.tern.migration.wire.Records;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 11: a receive with a session secret belongs to the source that holds it. Strangers' attempts (no
 * proof, a wrong secret, a replayed proof) are refused and logged without consuming the session; records are
 * sealed with a keyed MAC, so a record altered or forged in flight is refused. Plain TCP on loopback throughout.
 */
class SessionAuthTest {
    private static final Duration LONG = Duration.ofSeconds(10);
    /** Not the common pool: on a small machine it has one thread, and accept and connect must overlap. */
    private static final java.util.concurrent.Executor THREADS = task -> Thread.ofVirtual().start(task);
    private final SessionSecret secret = SessionSecret.generate();
    private MigrationListener listener;

    @BeforeEach
    void bind() throws IOException {
        listener = MigrationListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Optional.empty(), Optional.of(secret));
    }

    @AfterEach
    void close() {
        listener.close();
    }

    private CompletableFuture<Session> connect(final InetSocketAddress to, final SessionSecret key, final int data) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return MigrationConnector.connect(to, data, Optional.empty(), Optional.of(key), LONG);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }, THREADS);
    }

    @Test
    void anAuthenticatedSessionCarriesMacSealedRecords() throws Exception {
        final CompletableFuture<Session> connecting = connect(listener.address(), secret, 1);
        try (Session destination = listener.accept(LONG); Session source = connecting.get(10, TimeUnit.SECONDS)) {
            assertThat(destination.id()).isEqualTo(source.id());
            assertThat(destination.control().authenticated()).isTrue();
            source.data().getFirst().writer().write(RecordKind.DEVICE_DATA, 0, ByteBuffer.wrap(new byte[100]));
            final Record r = destination.data().getFirst().reader().read();
            assertThat(r.payload().remaining()).isEqualTo(100);
            assertThat(destination.data().getFirst().reader().bytesRead())
                    .isEqualTo(16 + 100 + RecordSeal.HmacSha256.SIZE);
            destination.control().writer().write(RecordKind.HELLO_REPLY, -1);
            assertThat(source.control().reader().read().kind()).isEqualTo(RecordKind.HELLO_REPLY);
        }
    }

    @Test
    void aStrangersPreambleNeitherAbortsNorTakesThePendingReceive() throws Exception {
        // The 32-byte hijack of issue 9: a bare control preamble, first in line.
        try (SocketChannel stranger = SocketChannel.open(listener.address())) {
            Preamble.control(42, 0).write(stranger);
            final CompletableFuture<Session> accepting = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept(LONG);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, THREADS);
            // The stranger is told why, in a record it can read, and closed.
            final Record told = new RecordReader(stranger, Records.MAX_PAYLOAD).read();
            assertThat(told.kind()).isEqualTo(RecordKind.ABORT);
            assertThat(new String(told.payloadBytes(), 2, told.payload().remaining() - 2))
                    .contains("requires session authentication");
            final Session source = connect(listener.address(), secret, 0).get(10, TimeUnit.SECONDS);
            try (Session destination = accepting.get(10, TimeUnit.SECONDS); source) {
                assertThat(destination.id()).isEqualTo(source.id()).isNotEqualTo(42);
            }
        }
    }

    @Test
    void aWrongSecretIsRefusedOnBothSidesAndTheRealSourceStillGetsIn() throws Exception {
        final CompletableFuture<Session> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept(LONG);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }, THREADS);
        assertThatThrownBy(() -> MigrationConnector.connect(listener.address(), 1, Optional.empty(),
                Optional.of(SessionSecret.generate()), LONG))
                .isInstanceOf(IOException.class).hasMessageContaining("does not hold this session secret");
        try (Session source = connect(listener.address(), secret, 1).get(10, TimeUnit.SECONDS);
                Session destination = accepting.get(10, TimeUnit.SECONDS)) {
            assertThat(destination.id()).isEqualTo(source.id());
        }
    }

    @Test
    void aReplayedProofIsRefused() throws Exception {
        // Record a real source's bytes on one connection, then play them back on another.
        final Preamble preamble = Preamble.control(7, 0).withAuthentication(true);
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        final CompletableFuture<Session> first = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept(LONG);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }, THREADS);
        try (SocketChannel real = SocketChannel.open(listener.address())) {
            final WritableByteChannel tee = new WritableByteChannel() {
                @Override
                public int write(final ByteBuffer src) throws IOException {
                    final ByteBuffer copy = src.duplicate();
                    final int n = real.write(src);
                    final byte[] b = new byte[n];
                    copy.get(b);
                    sent.write(b);
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return real.isOpen();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
            preamble.write(tee);
            SessionAuth.prove(secret, preamble.encode(), real, tee);
            first.get(10, TimeUnit.SECONDS).close();
        }
        try (SocketChannel replay = SocketChannel.open(listener.address())) {
            replay.write(ByteBuffer.wrap(sent.toByteArray()));
            assertThatThrownBy(() -> listener.accept(Duration.ofSeconds(3)))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("wrong proof of the session secret");
        }
    }

    @Test
    void aRecordAlteredInFlightFailsItsMac() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(listener.address())) {
            final CompletableFuture<Session> connecting = connect(proxy.address(), secret, 0);
            try (Session destination = listener.accept(LONG); Session source = connecting.get(10, TimeUnit.SECONDS)) {
                // Preamble 32 + nonce 32 + proof 32 are behind us; flip a payload byte of the next record.
                proxy.corruptByteAt(proxy.bytesForwarded() + 16 + 5);
                source.control().writer().write(RecordKind.HELLO, -1, ByteBuffer.wrap(new byte[64]));
                assertThatThrownBy(() -> destination.control().reader().read())
                        .isInstanceOf(CorruptStreamException.class).hasMessageContaining("MAC mismatch");
            }
        }
    }

    @Test
    void aRecordForgedWithAValidCrcFailsItsMac() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(listener.address())) {
            final CompletableFuture<Session> connecting = connect(listener.address(), secret, 0);
            try (Session destination = listener.accept(LONG); Session source = connecting.get(10, TimeUnit.SECONDS)) {
                // What an unkeyed stream would accept: a well-formed record with a correct CRC32C and trailer size.
                final ByteBuffer forged = dev.tern.migration.wire.RecordCodec.encode(RecordKind.COMMIT.code(), 0, -1, 0,
                        ByteBuffer.allocate(12));
                assertThat(forged.remaining()).isEqualTo(16 + 12 + 4);
                assertThat(source.control().authenticated()).isTrue();
                // No stranger holds the key; inject by writing raw bytes into the authenticated connection.
                final WritableByteChannel raw = rawOutput(source.control());
                raw.write(forged);
                raw.write(ByteBuffer.allocate(12));
                assertThatThrownBy(() -> destination.control().reader().read())
                        .isInstanceOf(CorruptStreamException.class).hasMessageContaining("MAC mismatch");
            }
        }
    }

    @Test
    void theSecretFileIsCreatedOwnerOnlyAndAWorldReadableOneIsRefused(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("auth");
        final SessionSecret.Loaded created = SessionSecret.createOrRead(file);
        assertThat(created.created()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file).strip()).hasSize(64);
        assertThat(SessionSecret.createOrRead(file).created()).isFalse();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> SessionSecret.read(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("accessible to other users");
    }

    private static WritableByteChannel rawOutput(final Connection c) {
        return c.output();
    }

}
