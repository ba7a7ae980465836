package dev.tern.migration.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A structure-aware generator of migration streams for fuzzing: a valid stream of records (random kinds, device
 * ids, payload sizes), then a few mutations chosen from what a damaged link or a hostile peer would do — at the
 * byte level (bit flips, inserted, deleted or overwritten bytes, truncation) and at the record level (a field
 * rewritten with the checksum made right again, records dropped, repeated or swapped, a length claiming more than
 * follows). Deterministic for a seed, so a failing input is reproduced from its seed alone.
 */
final class RecordStreamMutator {
    /** Largest payload the generator writes; the readers under test accept more, so lengths are exercised. */
    static final int MAX_GENERATED_PAYLOAD = 2048;
    private static final int MAX_RECORDS = 12;

    private RecordStreamMutator() {
    }

    /** @return the record boundaries and bytes of a valid stream, sealed by {@code seal} */
    static List<byte[]> validRecords(final SplittableRandom random, final Sealer seal) {
        final int count = random.nextInt(MAX_RECORDS + 1);
        final List<byte[]> records = new ArrayList<>(count);
        final RecordKind[] kinds = RecordKind.values();
        for (int seq = 0; seq < count; seq++) {
            final int size = random.nextInt(4) == 0 ? random.nextInt(MAX_GENERATED_PAYLOAD + 1) : random.nextInt(40);
            final byte[] payload = new byte[size];
            random.nextBytes(payload);
            records.add(seal.record(kinds[random.nextInt(kinds.length)].code(), 0,
                    random.nextInt(3) == 0 ? -1 : random.nextInt(8), seq, payload));
        }
        return records;
    }

    /** @return one mutated stream: a valid one with 0..4 mutations */
    static byte[] mutated(final SplittableRandom random, final Sealer seal) {
        final List<byte[]> records = validRecords(random, seal);
        final int recordMutations = random.nextInt(3);
        for (int i = 0; i < recordMutations && !records.isEmpty(); i++) {
            mutateRecords(random, records, seal);
        }
        byte[] stream = concat(records);
        final int byteMutations = random.nextInt(3);
        for (int i = 0; i < byteMutations; i++) {
            stream = mutateBytes(random, stream);
        }
        return stream;
    }

    private static void mutateRecords(final SplittableRandom random, final List<byte[]> records, final Sealer seal) {
        final int at = random.nextInt(records.size());
        final ByteBuffer r = ByteBuffer.wrap(records.get(at));
        final int length = r.getInt(RecordCodec.LENGTH_OFFSET);
        final byte[] payload = new byte[Math.max(0, Math.min(length, r.capacity() - RecordCodec.HEADER_SIZE))];
        r.get(RecordCodec.HEADER_SIZE, payload);
        int kind = RecordCodec.kindCode(r, 0);
        int flags = RecordCodec.flags(r, 0);
        int device = RecordCodec.deviceId(r, 0);
        int sequence = RecordCodec.sequence(r, 0);
        switch (random.nextInt(8)) {
            case 0 -> kind = random.nextInt(4) == 0 ? random.nextInt(0x10000) : random.nextInt(20);
            case 1 -> flags = 1 << random.nextInt(16);
            case 2 -> device = random.nextInt();
            case 3 -> sequence = random.nextBoolean() ? sequence + 1 : random.nextInt();
            case 4 -> records.remove(at);
            case 5 -> records.add(at, records.get(at));
            case 6 -> {
                final int other = random.nextInt(records.size());
                records.set(at, records.set(other, records.get(at)));
            }
            default -> {
                // A length that claims more (or less) than follows, checksum consistent with the claim.
                final int claimed = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt();
                    case 1 -> Records.MAX_PAYLOAD + random.nextInt(3) - 1;
                    case 2 -> payload.length + random.nextInt(64);
                    default -> Math.max(0, payload.length - random.nextInt(64));
                };
                final ByteBuffer header = ByteBuffer.allocate(RecordCodec.HEADER_SIZE);
                RecordCodec.putHeader(header, claimed, kind, flags, device, sequence);
                final ByteBuffer out = ByteBuffer.allocate(RecordCodec.HEADER_SIZE + payload.length);
                out.put(header.array()).put(payload);
                records.set(at, out.array());
            }
        }
        if (records.size() > at && random.nextInt(8) != 0) {
            final byte[] current = records.get(at);
            if (current.length >= RecordCodec.HEADER_SIZE + seal.trailerSize()
                    && ByteBuffer.wrap(current).getInt(0) == current.length - RecordCodec.HEADER_SIZE
                    - seal.trailerSize()) {
                records.set(at, seal.record(kind, flags, device, sequence, payload));
            }
        }
    }

    private static byte[] mutateBytes(final SplittableRandom random, final byte[] stream) {
        if (stream.length == 0) {
            final byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            return junk;
        }
        final int at = random.nextInt(stream.length);
        return switch (random.nextInt(5)) {
            case 0 -> {
                stream[at] ^= (byte) (1 << random.nextInt(8));
                yield stream;
            }
            case 1 -> {
                stream[at] = (byte) random.nextInt(256);
                yield stream;
            }
            case 2 -> java.util.Arrays.copyOf(stream, at);
            case 3 -> {
                final byte[] out = new byte[stream.length - 1];
                System.arraycopy(stream, 0, out, 0, at);
                System.arraycopy(stream, at + 1, out, at, stream.length - at - 1);
                yield out;
            }
            default -> {
                final byte[] out = new byte[stream.length + 1];
                System.arraycopy(stream, 0, out, 0, at);
                out[at] = (byte) random.nextInt(256);
                System.arraycopy(stream, at, out, at + 1, stream.length - at);
                yield out;
            }
        };
    }

    private static byte[] concat(final List<byte[]> records) {
        int size = 0;
        for (final byte[] r : records) {
            size += r.length;
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        records.forEach(out::put);
        return out.array();
    }

    /** How the stream under test seals its records (CRC32C, or a keyed MAC). */
    interface Sealer {
        /** @return a whole record: header, payload, trailer */
        byte[] record(int kind, int flags, int deviceId, int sequence, byte[] payload);

        /** @return trailer bytes per record */
        int trailerSize();
    }

    /** @return a stream keyed like an authenticated session's, HMAC-SHA256/128 trailers under {@code key} */
    static Sealer mac(final byte[] key) {
        final RecordSeal seal = RecordSeal.hmacSha256(key);
        return new Sealer() {
            @Override
            public byte[] record(final int kind, final int flags, final int deviceId, final int sequence,
                    final byte[] payload) {
                return RecordCodec.encode(kind, flags, deviceId, sequence, ByteBuffer.wrap(payload), seal).array();
            }

            @Override
            public int trailerSize() {
                return seal.size();
            }
        };
    }

    /** The unauthenticated stream: CRC32C trailers, as {@link RecordCodec#encode}. */
    static final Sealer CRC = new Sealer() {
        @Override
        public byte[] record(final int kind, final int flags, final int deviceId, final int sequence,
                final byte[] payload) {
            return RecordCodec.encode(kind, flags, deviceId, sequence, ByteBuffer.wrap(payload)).array();
        }

        @Override
        public int trailerSize() {
            return RecordCodec.TRAILER_SIZE;
        }
    };
}
