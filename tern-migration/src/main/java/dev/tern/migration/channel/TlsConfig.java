package dev.tern.migration.channel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.CertificateException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS for migration connections: TLS 1.3 only, JDK provider, PKCS12 key and trust stores.
 * <p>
 * <b>Both sides authenticate.</b> Each side presents the key entry of its keystore; the listener requires a client
 * certificate ({@code needClientAuth}), and each side accepts the other only if its chain leads to a certificate in
 * its truststore (PKIX). There is no host-name check: identity is "holds a key the truststore trusts", which suits
 * hosts of one cluster sharing a private CA (or, in tests, one self-signed key used by both ends). Dates are checked
 * where PKIX does not: this side's own certificate before it starts, and the peer's chain and the trust anchor it
 * leads to at every handshake ({@link CertificateValidity}).
 *
 * @param keystore           PKCS12 file with this side's private key and certificate chain
 * @param password           password of the keystore and of its key entry
 * @param truststore         PKCS12 file with the certificates (or CA) this side trusts
 * @param truststorePassword password of the truststore
 */
public record TlsConfig(Path keystore, char[] password, Path truststore, char[] truststorePassword) {
    /** The only protocol version enabled on migration sockets. */
    public static final String PROTOCOL = "TLSv1.3";

    /** Checks presence; keeps copies of the passwords. */
    public TlsConfig {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(truststore, "truststore");
        password = Objects.requireNonNull(password, "password").clone();
        truststorePassword = Objects.requireNonNull(truststorePassword, "truststorePassword").clone();
    }

    /**
     * {@return a configuration that trusts exactly the certificates in {@code keystore}}
     *
     * @param keystore PKCS12 file with this side's key, also used as the truststore
     * @param password its password
     */
    public static TlsConfig of(final Path keystore, final char[] password) {
        return new TlsConfig(keystore, password, keystore, password);
    }

    /**
     * Loads both stores and builds a TLS 1.3 context.
     *
     * @return a new context
     * @throws IOException if a store cannot be read or opened with its password, or the JDK lacks TLS 1.3
     */
    public SSLContext sslContext() throws IOException {
        try {
            final KeyStore own = load(keystore, password);
            checkOwnCertificates(own);
            final KeyManagerFactory keys = KeyManagerFactory.getInstance("PKIX");
            keys.init(own, password);
            final KeyStore trusted = load(truststore, truststorePassword);
            final TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
            trust.init(trusted);
            final X509ExtendedTrustManager pkix = Arrays.stream(trust.getTrustManagers())
                    .filter(X509ExtendedTrustManager.class::isInstance).map(X509ExtendedTrustManager.class::cast)
                    .findFirst().orElseThrow(() -> new KeyStoreException("no X.509 trust manager for " + truststore));
            final SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keys.getKeyManagers(), new TrustManager[] {new CertificateValidity(pkix,
                    CertificateValidity.certificates(trusted), Instant::now)}, null);
            return context;
        } catch (final CertificateException e) {
            throw new IOException(keystore + ": " + e.getMessage() + "; refusing to offer it", e);
        } catch (final GeneralSecurityException e) {
            throw new IOException("cannot build a TLS context from " + keystore + " and " + truststore + ": "
                    + e.getMessage(), e);
        }
    }

    /** A side whose own certificate is out of its dates refuses to start rather than be refused by every peer. */
    private static void checkOwnCertificates(final KeyStore own) throws GeneralSecurityException {
        for (final String alias : Collections.list(own.aliases())) {
            if (own.isKeyEntry(alias) && own.getCertificateChain(alias) != null) {
                CertificateValidity.checkOwn(own.getCertificateChain(alias), alias, Instant.now());
            }
        }
    }

    private static KeyStore load(final Path file, final char[] secret) throws IOException,
            GeneralSecurityException {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, secret);
        } catch (final IOException e) {
            throw new IOException("cannot open PKCS12 store " + file + ": " + e.getMessage(), e);
        }
        return store;
    }

    /** Paths only; passwords are never printed. */
    @Override
    public String toString() {
        return "TlsConfig[keystore=" + keystore + ", truststore=" + truststore + "]";
    }
}
