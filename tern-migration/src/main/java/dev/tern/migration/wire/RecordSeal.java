package dev.tern.migration.wire;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.zip.CRC32C;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a record's trailer is ({@link RecordCodec}): a CRC32C on an unauthenticated session, or a keyed MAC when the
 * session is authenticated (issue 9 item 11), so that the channel's integrity is keyed too and a stranger on the
 * path can neither forge, alter, drop (the sequence number is covered) nor move records between connections (each
 * connection and direction has its own key). One instance per reader or writer; not thread-safe.
 */
public sealed interface RecordSeal permits RecordSeal.Crc32c, RecordSeal.HmacSha256 {
    /** {@return trailer bytes per record} */
    int size();

    /** Starts a new record. */
    void reset();

    /**
     * Adds the remaining bytes of {@code bytes} (consumed).
     *
     * @param bytes the bytes, from position to limit
     */
    void update(ByteBuffer bytes);

    /**
     * Writes the trailer of the record so far into {@code out[0..size)}.
     *
     * @param out receives {@link #size()} bytes
     */
    void finish(byte[] out);

    /**
     * {@return whether {@code sent} is this record's trailer (compared in constant time)}
     *
     * @param sent    the trailer that arrived, {@link #size()} bytes
     * @param scratch {@link #size()} bytes to compute into
     */
    default boolean matches(final byte[] sent, final byte[] scratch) {
        finish(scratch);
        return MessageDigest.isEqual(sent, scratch);
    }

    /** {@return the unauthenticated trailer: CRC32C over header and payload, 4 bytes big-endian} */
    static RecordSeal crc32c() {
        return new Crc32c();
    }

    /**
     * {@return HMAC-SHA256 over header and payload, truncated to {@link HmacSha256#SIZE} bytes (RFC 2104 section 5)}
     *
     * @param key the key of one direction of one connection (see {@code SessionAuth})
     */
    static RecordSeal hmacSha256(final byte[] key) {
        return new HmacSha256(key);
    }

    /** CRC32C (Castagnoli): catches damage, not intent. */
    final class Crc32c implements RecordSeal {
        private final CRC32C crc = new CRC32C();

        /** A seal over nothing yet; {@link RecordSeal#crc32c()} is the usual way to get one. */
        public Crc32c() {
        }

        @Override
        public int size() {
            return RecordCodec.TRAILER_SIZE;
        }

        @Override
        public void reset() {
            crc.reset();
        }

        @Override
        public void update(final ByteBuffer bytes) {
            crc.update(bytes);
        }

        @Override
        public void finish(final byte[] out) {
            final int v = (int) crc.getValue();
            out[0] = (byte) (v >>> 24);
            out[1] = (byte) (v >>> 16);
            out[2] = (byte) (v >>> 8);
            out[3] = (byte) v;
        }
    }

    /** HMAC-SHA256/128: a keyed MAC, the JDK's {@code javax.crypto.Mac} (SHA-256 is intrinsified by the JIT). */
    final class HmacSha256 implements RecordSeal {
        /** Trailer bytes: the first half of the 32-byte HMAC, as TLS and IPsec truncate. */
        public static final int SIZE = 16;
        private final Mac mac;
        private final byte[] full = new byte[32];

        HmacSha256(final byte[] key) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
            } catch (final GeneralSecurityException e) {
                throw new IllegalStateException("the JDK lacks HmacSHA256", e);
            }
        }

        @Override
        public int size() {
            return SIZE;
        }

        @Override
        public void reset() {
            mac.reset();
        }

        @Override
        public void update(final ByteBuffer bytes) {
            mac.update(bytes);
        }

        @Override
        public void finish(final byte[] out) {
            try {
                mac.doFinal(full, 0);
            } catch (final javax.crypto.ShortBufferException e) {
                throw new IllegalStateException(e);
            }
            System.arraycopy(full, 0, out, 0, SIZE);
        }
    }
}
