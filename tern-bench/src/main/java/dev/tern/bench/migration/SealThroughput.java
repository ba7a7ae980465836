package dev.tern.bench.migration;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * What one record trailer costs per byte, without sockets (issue 9 item 11): the CRC32C of an unauthenticated
 * session, the HMAC-SHA256 Tern uses on an authenticated one (over a direct buffer, as the record reader and writer
 * hand it, and over a heap array), and AES-GMAC (AES/GCM with the record as additional data only), the fastest keyed
 * MAC the JDK offers on paper (AES-NI and carry-less multiply), and AES-GCM encrypting the record, whose
 * ciphertext path is the one the JIT intrinsifies. 1 MiB records, the size device data travels in.
 * <p>
 * Usage: {@code java -cp tern-bench/target/benchmarks.jar dev.tern.bench.migration.SealThroughput [GiB]} (default 2);
 * a quarter of the volume warms up, then the median of three rounds per variant, in GB/s.
 */
public final class SealThroughput {
    private static final int ROUNDS = 3;

    private SealThroughput() {
    }

    /** One way to seal a record. */
    private interface Sealer {
        void seal(ByteBuffer record) throws Exception;
    }

    /**
     * @param args optional GiB per variant
     * @throws Exception if a JDK algorithm is missing
     */
    public static void main(final String[] args) throws Exception {
        final double gib = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        final long chunks = Math.max(1, (long) (gib * 1024));
        final ByteBuffer direct = LoopbackCopy.payload();
        final byte[] heap = new byte[LoopbackCopy.CHUNK];
        direct.get(0, heap);
        final byte[] key = new byte[32];
        final CRC32C crc = new CRC32C();
        final Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        final byte[] tag = new byte[32];
        final Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        final SecretKeySpec aes = new SecretKeySpec(key, 0, 16, "AES");
        final long[] sequence = {0};
        final ByteBuffer sealed = ByteBuffer.allocateDirect(LoopbackCopy.CHUNK + 16);
        final String[] names = {"CRC32C (unauthenticated)", "HMAC-SHA256, direct buffer", "HMAC-SHA256, heap array",
            "AES-128-GMAC, direct buffer", "AES-128-GCM encrypting, direct"};
        final Sealer[] sealers = {
            r -> crc.update(r),
            r -> {
                hmac.update(r);
                hmac.doFinal(tag, 0);
            },
            r -> {
                hmac.update(heap);
                hmac.doFinal(tag, 0);
            },
            r -> {
                // A fresh nonce per record (the sequence number), as GCM requires.
                final byte[] iv = ByteBuffer.allocate(12).putLong(4, sequence[0]++).array();
                gcm.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, iv));
                gcm.updateAAD(r);
                gcm.doFinal(tag, 0);
            },
            r -> {
                final byte[] iv = ByteBuffer.allocate(12).putLong(4, sequence[0]++).array();
                gcm.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, iv));
                sealed.clear();
                gcm.doFinal(r, sealed);
            },
        };
        System.out.printf("sealing %d MiB per variant and round (%d cores), %d rounds%n", chunks,
                Runtime.getRuntime().availableProcessors(), ROUNDS);
        for (final Sealer s : sealers) {
            rate(s, direct, chunks / 4);
        }
        final double[][] rates = new double[sealers.length][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < sealers.length; i++) {
                rates[i][round] = rate(sealers[i], direct, chunks);
            }
        }
        final double crcRate = LoopbackCopy.median(rates[0]);
        for (int i = 0; i < sealers.length; i++) {
            final double r = LoopbackCopy.median(rates[i]);
            System.out.printf("  %-30s %6.2f GB/s   %.2fx CRC32C%n", names[i], r, r / crcRate);
        }
    }

    private static double rate(final Sealer sealer, final ByteBuffer payload, final long chunks) throws Exception {
        final long start = System.nanoTime();
        for (long i = 0; i < chunks; i++) {
            sealer.seal(payload.duplicate());
        }
        return chunks * (double) LoopbackCopy.CHUNK / (System.nanoTime() - start);
    }
}
