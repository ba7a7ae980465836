package dev.tern.migration.channel;

import dev.tern.migration.wire.RecordSeal;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Proof of the {@link SessionSecret} on every connection of an authenticated session (issue 9 item 11), right
 * after the preamble (flag AUTH), before any record. Mutual, and fresh on both sides:
 * <pre>
 *  source                                                   destination
 *  Preamble P (AUTH) | nonce_s (32)                  --&gt;
 *                                                    &lt;--   nonce_d (32) | HMAC(K, "tern-mig dst" P nonce_s nonce_d)
 *  HMAC(K, "tern-mig src" P nonce_s nonce_d) (32)    --&gt;   checked in constant time, else refused
 *
 *  records source to destination: HMAC-SHA256/128 under HMAC(K, "tern-mig s-&gt;d" P nonce_s nonce_d)
 *  records destination to source: HMAC-SHA256/128 under HMAC(K, "tern-mig d-&gt;s" P nonce_s nonce_d)
 * </pre>
 * The destination's nonce makes a recorded proof useless later (no replay); the labels keep each side's answer from
 * serving as the other's; the preamble inside every MAC binds the proof and the record keys to this connection's
 * role, session and device, so records cannot be moved between connections either.
 */
final class SessionAuth {
    /** Nonce and MAC size. */
    static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SessionAuth() {
    }

    /** A source that failed to prove the secret; the destination logs it and keeps waiting. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(final String message) {
            super(message);
        }
    }

    /**
     * The record seals of one authenticated connection.
     *
     * @param outbound for records this side writes
     * @param inbound  for records this side reads
     */
    record Seals(RecordSeal outbound, RecordSeal inbound) {
    }

    /** Source side: sends its nonce, checks the destination's answer, proves itself. */
    static Seals prove(final SessionSecret secret, final byte[] preamble, final ReadableByteChannel in,
            final WritableByteChannel out) throws IOException {
        final byte[] nonceS = nonce();
        write(out, nonceS);
        final byte[] answer;
        try {
            answer = read(in, 2 * BYTES);
        } catch (final EOFException e) {
            throw new IOException("the destination closed the connection instead of answering the session-secret "
                    + "challenge (a receive without --auth-file?)");
        }
        final byte[] nonceD = java.util.Arrays.copyOf(answer, BYTES);
        final byte[] theirs = java.util.Arrays.copyOfRange(answer, BYTES, 2 * BYTES);
        if (!MessageDigest.isEqual(theirs, secret.mac("tern-mig dst", preamble, nonceS, nonceD))) {
            throw new IOException("the destination does not hold this session secret (another --auth-file, or not "
                    + "a Tern receive)");
        }
        write(out, secret.mac("tern-mig src", preamble, nonceS, nonceD));
        return new Seals(RecordSeal.hmacSha256(secret.mac("tern-mig s->d", preamble, nonceS, nonceD)),
                RecordSeal.hmacSha256(secret.mac("tern-mig d->s", preamble, nonceS, nonceD)));
    }

    /**
     * Destination side: challenges the source and checks its proof.
     *
     * @throws Refused if the proof does not match (the caller closes the connection)
     */
    static Seals challenge(final SessionSecret secret, final byte[] preamble, final ReadableByteChannel in,
            final WritableByteChannel out) throws IOException {
        final byte[] nonceS = read(in, BYTES);
        final byte[] nonceD = nonce();
        write(out, ByteBuffer.allocate(2 * BYTES).put(nonceD).put(secret.mac("tern-mig dst", preamble, nonceS,
                nonceD)).array());
        final byte[] proof;
        try {
            proof = read(in, BYTES);
        } catch (final EOFException e) {
            throw new Refused("closed before proving the session secret");
        }
        if (!MessageDigest.isEqual(proof, secret.mac("tern-mig src", preamble, nonceS, nonceD))) {
            throw new Refused("wrong proof of the session secret (another --auth-file, or a replay)");
        }
        return new Seals(RecordSeal.hmacSha256(secret.mac("tern-mig d->s", preamble, nonceS, nonceD)),
                RecordSeal.hmacSha256(secret.mac("tern-mig s->d", preamble, nonceS, nonceD)));
    }

    private static byte[] nonce() {
        final byte[] n = new byte[BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    private static void write(final WritableByteChannel out, final byte[] bytes) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static byte[] read(final ReadableByteChannel in, final int n) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                throw new EOFException("stream ended after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }
}
