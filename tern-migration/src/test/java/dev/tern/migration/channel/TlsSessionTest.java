package dev.tern.migration.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TLS 1.3 sessions with mutual authentication, keys made by keytool for the run. */
class TlsSessionTest {
    private static final Duration LONG = Duration.ofSeconds(10);
    private MigrationListener listener;

    @BeforeEach
    void bind() throws IOException {
        listener = MigrationListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Optional.of(TlsConfig.of(TestKeys.tern(), TestKeys.PASSWORD)));
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    private CompletableFuture<Session> connect(final TlsConfig config, final int data) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return MigrationConnector.connect(listener.address(), data, Optional.of(config), LONG);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Test
    void aTlsSessionCarriesRecordsBothWays() throws Exception {
        final CompletableFuture<Session> connecting = connect(TlsConfig.of(TestKeys.tern(), TestKeys.PASSWORD), 2);
        try (Session destination = listener.accept(LONG); Session source = connecting.get(10, TimeUnit.SECONDS)) {
            assertThat(destination.id()).isEqualTo(source.id());
            assertThat(destination.control().secure()).isTrue();
            final byte[] big = new byte[(1 << 20) + 3];
            new Random(1).nextBytes(big);
            final CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    source.data().get(1).writer().write(RecordKind.DEVICE_DATA, 1, ByteBuffer.wrap(big));
                    source.data().get(1).writer().write(RecordKind.DEVICE_END, 1);
                    source.control().writer().write(RecordKind.HELLO, 0, ByteBuffer.allocateDirect(5));
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            final Record r = destination.data().get(1).reader().read();
            assertThat(r.payloadBytes()).isEqualTo(big);
            assertThat(destination.data().get(1).reader().read().kind()).isEqualTo(RecordKind.DEVICE_END);
            assertThat(destination.control().reader().read().payload().remaining()).isEqualTo(5);
            writing.get(10, TimeUnit.SECONDS);
            destination.control().writer().write(RecordKind.HELLO_REPLY, 0);
            assertThat(source.control().reader().read().kind()).isEqualTo(RecordKind.HELLO_REPLY);
            source.data().getFirst().close();
            assertThatThrownBy(() -> destination.data().getFirst().reader().read())
                    .isExactlyInstanceOf(EOFException.class);
        }
    }

    @Test
    void aClientWithoutATrustedCertificateIsRefused() throws Exception {
        final Path rogue = TestKeys.rogue();
        final CompletableFuture<Session> connecting =
                connect(new TlsConfig(rogue, TestKeys.PASSWORD, TestKeys.tern(), TestKeys.PASSWORD), 1);
        assertThatThrownBy(() -> listener.accept(Duration.ofSeconds(2)))
                .isExactlyInstanceOf(SocketTimeoutException.class)
                .hasMessageContaining("no control connection arrived")
                .hasMessageContaining("SSLHandshakeException");
        final Throwable refused = connecting.handle((session, failure) -> {
            if (failure != null) {
                return failure.getCause().getCause();
            }
            try (session) {
                session.control().reader().read();
                return null;
            } catch (final IOException e) {
                return e;
            }
        }).get(10, TimeUnit.SECONDS);
        assertThat(refused).isInstanceOf(IOException.class).isNotInstanceOf(EOFException.class);
    }

    @Test
    void aClientThatDoesNotTrustTheListenerGivesUp() throws Exception {
        final TlsConfig distrusting = new TlsConfig(TestKeys.tern(), TestKeys.PASSWORD, TestKeys.rogue(),
                TestKeys.PASSWORD);
        // The listener's deadline must outlast the client's handshake even on a loaded machine: if it expired
        // first, the client would see the connection reset instead of its own trust failure.
        final CompletableFuture<Throwable> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                listener.accept(Duration.ofSeconds(6)).close();
                return null;
            } catch (final IOException e) {
                return e;
            }
        });
        assertThatThrownBy(() -> MigrationConnector.connect(listener.address(), 1, Optional.of(distrusting), LONG))
                .isInstanceOf(SSLHandshakeException.class);
        assertThat(accepting.get(10, TimeUnit.SECONDS)).isInstanceOf(SocketTimeoutException.class)
                .hasMessageContaining("rejected 1");
    }

    @Test
    void aPlainClientIsRefusedByATlsListener() {
        final CompletableFuture<Session> plain = CompletableFuture.supplyAsync(() -> {
            try {
                return MigrationConnector.connect(listener.address(), 0, Optional.empty(), LONG);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThatThrownBy(() -> listener.accept(Duration.ofSeconds(1)))
                .isExactlyInstanceOf(SocketTimeoutException.class).hasMessageContaining("rejected 1");
        plain.thenAccept(Session::close);
    }

    @Test
    void closeUnblocksATlsReader() throws Exception {
        final CompletableFuture<Session> connecting = connect(TlsConfig.of(TestKeys.tern(), TestKeys.PASSWORD), 1);
        try (Session destination = listener.accept(LONG); Session source = connecting.get(10, TimeUnit.SECONDS)) {
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
            assertThat(blocked.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
            assertThat(source.id()).isEqualTo(destination.id());
        }
    }

    @Test
    void aMissingKeystoreIsNamed() {
        final Path missing = Path.of("/nonexistent/keys.p12");
        assertThatThrownBy(() -> TlsConfig.of(missing, TestKeys.PASSWORD).sslContext())
                .isInstanceOf(IOException.class).hasMessageContaining("/nonexistent/keys.p12");
        assertThat(TlsConfig.of(missing, TestKeys.PASSWORD).toString()).doesNotContain("changeit");
    }
}
