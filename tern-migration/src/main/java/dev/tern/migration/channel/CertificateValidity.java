package dev.tern.migration.channel;

import java.net.Socket;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Validity dates where PKIX does not look (issue 9 item 12). The JDK's PKIX validation never checks a trust
 * anchor's dates (RFC 5280 section 6.1: the anchor is an input, not part of the path), and with the keystore doubling
 * as the truststore the peer's own self-signed certificate <i>is</i> the anchor, so an expired or not-yet-valid
 * certificate passed. This trust manager runs the JDK's checks, then checks the dates of every certificate of the
 * peer's chain and of the truststore certificate it leads to, and refuses with one line naming the certificate and
 * why.
 */
final class CertificateValidity extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;
    private final List<X509Certificate> anchors;
    private final Supplier<Instant> clock;

    /**
     * @param pkix    the JDK's trust manager over the truststore
     * @param anchors every certificate of the truststore
     * @param clock   the time to check against
     */
    CertificateValidity(final X509ExtendedTrustManager pkix, final List<X509Certificate> anchors,
            final Supplier<Instant> clock) {
        this.pkix = pkix;
        this.anchors = List.copyOf(anchors);
        this.clock = clock;
    }

    /** @return every X.509 certificate in {@code store} (entries of any kind) */
    static List<X509Certificate> certificates(final KeyStore store) throws KeyStoreException {
        final List<X509Certificate> out = new ArrayList<>();
        for (final String alias : Collections.list(store.aliases())) {
            if (store.getCertificate(alias) instanceof X509Certificate c) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Checks this side's own certificate chain before it is offered to anyone.
     *
     * @throws CertificateException naming the certificate and why it is not valid now
     */
    static void checkOwn(final Certificate[] chain, final String alias, final Instant now)
            throws CertificateException {
        for (final Certificate c : chain) {
            if (c instanceof X509Certificate x) {
                check(x, "this side's certificate (alias " + alias + ")", now);
            }
        }
    }

    /**
     * @param certificate the certificate
     * @param role        what it is, for the message ("peer certificate", "trust anchor", ...)
     * @param now         the time to check against
     * @throws CertificateException "ROLE SUBJECT expired on DATE" or "... is not valid before DATE"
     */
    static void check(final X509Certificate certificate, final String role, final Instant now)
            throws CertificateException {
        try {
            certificate.checkValidity(Date.from(now));
        } catch (final CertificateExpiredException e) {
            throw new CertificateExpiredException(role + " " + certificate.getSubjectX500Principal().getName()
                    + " expired on " + certificate.getNotAfter().toInstant());
        } catch (final CertificateNotYetValidException e) {
            throw new CertificateNotYetValidException(role + " " + certificate.getSubjectX500Principal().getName()
                    + " is not valid before " + certificate.getNotBefore().toInstant());
        }
    }

    private void checkDates(final X509Certificate[] chain, final String who) throws CertificateException {
        final Instant now = clock.get();
        for (int i = 0; i < chain.length; i++) {
            check(chain[i], i == 0 ? who + " certificate" : who + " chain certificate #" + i, now);
        }
        final X509Certificate last = chain[chain.length - 1];
        for (final X509Certificate anchor : anchors) {
            if (anchor.getSubjectX500Principal().equals(last.getIssuerX500Principal()) && issued(anchor, last)) {
                check(anchor, "trust anchor for the " + who, now);
            }
        }
    }

    private static boolean issued(final X509Certificate issuer, final X509Certificate subject) {
        try {
            subject.verify(issuer.getPublicKey());
            return true;
        } catch (final java.security.GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String auth, final Socket socket)
            throws CertificateException {
        pkix.checkClientTrusted(chain, auth, socket);
        checkDates(chain, "peer (source)");
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String auth, final Socket socket)
            throws CertificateException {
        pkix.checkServerTrusted(chain, auth, socket);
        checkDates(chain, "peer (destination)");
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String auth, final SSLEngine engine)
            throws CertificateException {
        pkix.checkClientTrusted(chain, auth, engine);
        checkDates(chain, "peer (source)");
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String auth, final SSLEngine engine)
            throws CertificateException {
        pkix.checkServerTrusted(chain, auth, engine);
        checkDates(chain, "peer (destination)");
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String auth) throws CertificateException {
        pkix.checkClientTrusted(chain, auth);
        checkDates(chain, "peer (source)");
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String auth) throws CertificateException {
        pkix.checkServerTrusted(chain, auth);
        checkDates(chain, "peer (destination)");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
