package dev.tern.migration.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 12: expired and not-yet-valid certificates are refused, the peer's and the trust anchor's, with one
 * line naming the certificate and why. The hostile peers here build their TLS context straight from the JDK (no
 * date checks of their own), as a modified or older peer would.
 */
class TlsValidityTest {
    /**
     * The refused handshake must happen within this; keys and contexts are made before it starts. Each test waits
     * all of it (nothing forms), but a TLS handshake on a loaded 2-core CI machine took over 3 s, so not less.
     */
    private static final Duration SHORT = Duration.ofSeconds(8);

    @org.junit.jupiter.api.BeforeAll
    static void keys() {
        TestKeys.tern();
        ValidityKeys.store("old");
    }

    @Test
    void anExpiredSourceCertificateIsRefusedByTheListener() throws Exception {
        final Path old = ValidityKeys.store("old");
        try (MigrationListener listener = MigrationListener.bind(loopback(),
                Optional.of(new TlsConfig(TestKeys.tern(), TestKeys.PASSWORD, old, TestKeys.PASSWORD)))) {
            final SSLContext hostile = context(old, TestKeys.tern());
            final CompletableFuture<Void> client = CompletableFuture.runAsync(() -> rawClient(listener.address(),
                    hostile));
            assertThatThrownBy(() -> listener.accept(SHORT)).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("rejected 1").hasMessageContaining("certificate CN=old expired on");
            client.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTrustAnchorThatExpiredIsRefusedThoughItsLeafIsValid() throws Exception {
        try (MigrationListener listener = MigrationListener.bind(loopback(), Optional.of(new TlsConfig(
                TestKeys.tern(), TestKeys.PASSWORD, ValidityKeys.store("ca-trust"), TestKeys.PASSWORD)))) {
            final SSLContext hostile = context(ValidityKeys.store("leaf"), TestKeys.tern());
            final CompletableFuture<Void> client = CompletableFuture.runAsync(() -> rawClient(listener.address(),
                    hostile));
            assertThatThrownBy(() -> listener.accept(SHORT)).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("CN=ca expired on");
            client.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDestinationCertificateNotYetValidIsRefusedByTheSource() throws Exception {
        final Path future = ValidityKeys.store("future");
        try (SSLServerSocket server = (SSLServerSocket) context(future, TestKeys.tern()).getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final CompletableFuture<Void> accepting = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(5000);
                    s.startHandshake();
                    s.getInputStream().read();
                } catch (final IOException expected) {
                    // the source refuses us
                }
            });
            assertThatThrownBy(() -> MigrationConnector.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 0,
                    Optional.of(new TlsConfig(TestKeys.tern(), TestKeys.PASSWORD, future, TestKeys.PASSWORD)),
                    Duration.ofSeconds(5))).isInstanceOf(IOException.class)
                    .hasMessageContaining("peer (destination) certificate CN=future is not valid before");
            accepting.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSideWhoseOwnCertificateExpiredRefusesToStartWithOneLine() {
        assertThatThrownBy(() -> TlsConfig.of(ValidityKeys.store("old"), TestKeys.PASSWORD).sslContext())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("this side's certificate (alias old) CN=old expired on")
                .hasMessageNotContaining("\n");
    }

    @Test
    void validCertificatesStillConnect() throws Exception {
        final TlsConfig tern = TlsConfig.of(TestKeys.tern(), TestKeys.PASSWORD);
        try (MigrationListener listener = MigrationListener.bind(loopback(), Optional.of(tern))) {
            final CompletableFuture<Session> source = CompletableFuture.supplyAsync(() -> {
                try {
                    return MigrationConnector.connect(listener.address(), 0, Optional.of(tern), Duration.ofSeconds(10));
                } catch (final IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Session s = listener.accept(Duration.ofSeconds(10)); Session mine = source.get(10, TimeUnit.SECONDS)) {
                assertThat(s.id()).isEqualTo(mine.id());
            }
        }
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /** A TLS 1.3 client with the JDK's plain PKIX checks: it offers its keys whatever their dates. */
    private static void rawClient(final InetSocketAddress to, final SSLContext context) {
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(to.getAddress(),
                to.getPort())) {
            s.setSoTimeout(5000);
            s.startHandshake();
            s.getOutputStream().write(new byte[32]);
            s.getInputStream().read();
        } catch (final IOException expected) {
            // refused
        }
    }

    private static SSLContext context(final Path keys, final Path trusted) {
        try {
            final KeyManagerFactory k = KeyManagerFactory.getInstance("PKIX");
            k.init(load(keys), TestKeys.PASSWORD);
            final TrustManagerFactory t = TrustManagerFactory.getInstance("PKIX");
            t.init(load(trusted));
            final SSLContext c = SSLContext.getInstance("TLSv1.3");
            c.init(k.getKeyManagers(), t.getTrustManagers(), null);
            return c;
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore load(final Path p) throws Exception {
        final KeyStore s = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p)) {
            s.load(in, TestKeys.PASSWORD);
        }
        return s;
    }
}
