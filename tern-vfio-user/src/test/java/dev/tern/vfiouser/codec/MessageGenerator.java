package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;

/**
 * A seeded, structure-aware generator of vfio-user messages for the fuzzing harness: well-formed messages of every
 * command with field values drawn from the boundaries that matter (0, 1, sizes, 1 MiB, 2^31, 2^32 - 1, 2^63 - 1, page
 * multiples), and mutations that know the wire layout (header fields, 4/8-byte aligned payload fields, length
 * fields kept consistent or not, truncation at field boundaries, splicing). Deterministic for a given {@link Random}.
 */
public final class MessageGenerator {
    private static final long[] LONGS = {0, 1, 8, 16, 24, 4095, 4096, 4097, 0x10_0000, 0x10_0001, 0x8000_0000L,
        0xffff_ffffL, 0x1_0000_0000L, 1L << 44, Long.MAX_VALUE, -1, Long.MIN_VALUE, 0x4_0000, 0x10_0000 + 16};
    private static final int[] INTS = {0, 1, 2, 3, 4, 7, 8, 9, 16, 20, 24, 32, 40, 48, 4096, 0x10_0000, 0x10_0030,
        0x7fff_ffff, -1, Integer.MIN_VALUE, 0xffff, 0x1_0000, 0x2_0000, 0x4_0000};
    private static final List<Function<Random, Request>> REQUESTS = List.of(
            r -> Version.of(0, r.nextInt(4), capabilities(r)),
            r -> new Version(r.nextInt(3) == 0 ? anyInt(r) & 0xffff : 0, anyInt(r) & 0xffff, Optional.empty()),
            r -> new DmaMap(argsz(r, DmaMap.SIZE), anyInt(r) & 0xf, anyLong(r), page(r), size(r), false),
            r -> new DmaUnmap(argsz(r, DmaUnmap.SIZE), r.nextInt(3) == 0 ? DmaUnmap.FLAG_ALL : 0, page(r), size(r),
                    Optional.empty()),
            r -> new DeviceInfo(argsz(r, 16), anyInt(r), anyInt(r), anyInt(r)),
            r -> new GetRegionInfo(argsz(r, 32), r.nextInt(12)),
            r -> new GetRegionIoFds(argsz(r, 16), 0, r.nextInt(12), r.nextInt(4)),
            r -> IrqInfo.request(r.nextInt(7)),
            r -> new SetIrqs(argsz(r, SetIrqs.SIZE), 1 << r.nextInt(3) | 8 << r.nextInt(3), r.nextInt(6),
                    r.nextInt(3), r.nextInt(4), Blob.empty(), 0),
            r -> new RegionRead(small(r), r.nextInt(10), (int) Math.min(r.nextInt(5000), 1 << 20)),
            r -> new RegionWrite(small(r), r.nextInt(10), bytes(r, 1 + r.nextInt(r.nextInt(10) == 0 ? 5000 : 16))),
            r -> new DeviceReset(),
            r -> new RegionWriteMulti(List.of(new RegionWriteMulti.Write(small(r), r.nextInt(10), bytes(r, 4)))),
            r -> DeviceFeature.get(Feature.values()[r.nextInt(Feature.values().length)]),
            r -> DeviceFeature.set(Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(r.nextInt(9), -1)),
            r -> DeviceFeature.set(Feature.DMA_LOGGING_START, new FeaturePayload.DmaLoggingControl(
                    1L << r.nextInt(40), ranges(r))),
            r -> DeviceFeature.set(Feature.DMA_LOGGING_STOP, new FeaturePayload.Empty()),
            r -> DeviceFeature.report(new FeaturePayload.DmaLoggingReport(page(r), size(r), 1L << (10 + r.nextInt(
                    12))), r.nextInt(4) * 8),
            r -> DeviceFeature.probe(r.nextInt(12), DeviceFeature.GET << r.nextInt(3)),
            r -> MigDataRead.of(r.nextInt(3) == 0 ? anyInt(r) & 0x3f_ffff : r.nextInt(8192)),
            r -> MigDataWrite.of(bytes(r, r.nextInt(300))),
            r -> new DmaRead(page(r), r.nextInt(64)),
            r -> new DmaWrite(page(r), bytes(r, 1 + r.nextInt(64))));

    private final List<byte[]> seeds = new ArrayList<>();

    /** @param seeds well-formed messages to mutate besides the generated ones (e.g. every message kind's example) */
    public MessageGenerator(final List<byte[]> seeds) {
        this.seeds.addAll(seeds);
    }

    /** @return a generator whose seeds are the example of every message kind (requests and replies) */
    public static MessageGenerator withEveryKindAsSeed() {
        final List<byte[]> seeds = new ArrayList<>();
        RoundTripTest.requests().forEach(q -> seeds.add(MessageEncoder.command(1, q).toBytes()));
        RoundTripTest.replies().forEach(q -> seeds.add(MessageEncoder.reply(1, q).toBytes()));
        return new MessageGenerator(seeds);
    }

    /** @return the number of request generators (one or more per command) */
    public static int requestKinds() {
        return REQUESTS.size();
    }

    /** @return a well-formed command with random fields, id {@code id} */
    public static byte[] request(final Random r, final int id) {
        while (true) {
            try {
                return MessageEncoder.command(id, REQUESTS.get(r.nextInt(REQUESTS.size())).apply(r)).toBytes();
            } catch (final IllegalArgumentException e) {
                // a combination the record refuses to build: draw again
            }
        }
    }

    /** @return a generated message (75 %) or a seed, then mutated with probability {@code mutate} */
    public byte[] next(final Random r, final double mutate) {
        return next(r, mutate, false);
    }

    /**
     * @param keepFraming true to keep {@code msg_size} equal to the length (the stream stays in step, so a server
     *                    goes on reading the messages that follow)
     * @return a generated message (75 %) or a seed, then mutated with probability {@code mutate}
     */
    public byte[] next(final Random r, final double mutate, final boolean keepFraming) {
        final byte[] base = seeds.isEmpty() || r.nextInt(4) != 0 ? request(r, r.nextInt(0x10000))
                : seeds.get(r.nextInt(seeds.size())).clone();
        return r.nextDouble() < mutate ? mutate(base, r, keepFraming) : base;
    }

    /** @return {@code m} with one to three layout-aware mutations */
    public byte[] mutate(final byte[] m, final Random r) {
        return mutate(m, r, false);
    }

    private byte[] mutate(final byte[] m, final Random r, final boolean keepFraming) {
        byte[] out = m;
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            out = mutateOnce(out, r, keepFraming);
        }
        if (keepFraming && out.length < Header.SIZE) {
            out = Arrays.copyOf(out, Header.SIZE);
        }
        if (keepFraming) {
            ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(4, out.length);
        }
        return out;
    }

    private byte[] mutateOnce(final byte[] in, final Random r, final boolean keepFraming) {
        byte[] m = in.clone();
        final ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        final boolean keepSize = keepFraming || r.nextInt(4) != 0;
        switch (r.nextInt(keepFraming ? 9 : 10)) {
            case 0 -> { // header: command
                if (m.length >= 4) {
                    b.putShort(2, (short) (r.nextInt(4) == 0 ? r.nextInt(0x10000) : r.nextInt(20)));
                }
            }
            case 1 -> { // header: flags (type, NO_REPLY, ERROR, junk)
                if (m.length >= 12) {
                    b.putInt(8, r.nextInt(3) == 0 ? anyInt(r) : r.nextInt(2) | (r.nextBoolean() ? 0x10 : 0)
                            | (r.nextInt(4) == 0 ? 0x20 : 0));
                }
            }
            case 9 -> { // header: msg_size
                if (m.length >= 8) {
                    b.putInt(4, r.nextBoolean() ? anyInt(r) : m.length + r.nextInt(33) - 16);
                }
                return m;
            }
            case 2 -> { // a payload field set to the payload's own length (argsz-like fields)
                if (m.length >= Header.SIZE + 4) {
                    b.putInt(Header.SIZE + 4 * r.nextInt((m.length - Header.SIZE) / 4), m.length - Header.SIZE
                            + r.nextInt(3) - 1);
                }
            }
            case 3 -> { // a 4-byte aligned payload field
                if (m.length >= Header.SIZE + 4) {
                    b.putInt(Header.SIZE + 4 * r.nextInt((m.length - Header.SIZE) / 4), anyInt(r));
                }
            }
            case 4 -> { // an 8-byte aligned payload field
                if (m.length >= Header.SIZE + 8) {
                    b.putLong(Header.SIZE + 8 * r.nextInt((m.length - Header.SIZE) / 8), anyLong(r));
                }
            }
            case 5 -> m = Arrays.copyOf(m, Math.max(0, m.length - 1 - r.nextInt(Math.clamp(m.length, 1, 24))));
            case 6 -> { // grow by junk or zeros
                final int old = m.length;
                m = Arrays.copyOf(m, old + 1 + r.nextInt(r.nextInt(8) == 0 ? 4096 : 40));
                if (r.nextBoolean()) {
                    for (int i = old; i < m.length; i++) {
                        m[i] = (byte) r.nextInt(256);
                    }
                }
            }
            case 7 -> { // splice: this header with another message's payload
                final byte[] other = request(r, 0);
                final byte[] s = Arrays.copyOf(m, Math.min(m.length, Header.SIZE) + other.length - Header.SIZE);
                System.arraycopy(other, Header.SIZE, s, Math.min(m.length, Header.SIZE), other.length - Header.SIZE);
                m = s;
            }
            default -> { // random bytes
                for (int i = 0, n = 1 + r.nextInt(4); i < n && m.length > 0; i++) {
                    m[r.nextInt(m.length)] = (byte) r.nextInt(256);
                }
            }
        }
        if (keepSize && m.length >= 8) {
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(4, m.length);
        }
        return m;
    }

    static int anyInt(final Random r) {
        return r.nextInt(3) == 0 ? r.nextInt() : INTS[r.nextInt(INTS.length)];
    }

    static long anyLong(final Random r) {
        return r.nextInt(3) == 0 ? r.nextLong() : LONGS[r.nextInt(LONGS.length)];
    }

    private static int argsz(final Random r, final int exact) {
        return r.nextInt(4) == 0 ? anyInt(r) : exact;
    }

    private static long page(final Random r) {
        return r.nextInt(4) == 0 ? anyLong(r) & Long.MAX_VALUE : (long) r.nextInt(1 << 20) << 12;
    }

    private static long size(final Random r) {
        return r.nextInt(4) == 0 ? anyLong(r) : (1 + (long) r.nextInt(64)) << 12;
    }

    private static long small(final Random r) {
        return r.nextInt(8) == 0 ? anyLong(r) : r.nextInt(0x100);
    }

    private static Blob bytes(final Random r, final int n) {
        final byte[] b = new byte[n];
        r.nextBytes(b);
        return Blob.wrap(b);
    }

    private static List<FeaturePayload.IovaRange> ranges(final Random r) {
        final List<FeaturePayload.IovaRange> out = new ArrayList<>();
        for (int i = 0, n = r.nextInt(4); i < n; i++) {
            out.add(new FeaturePayload.IovaRange(page(r), size(r)));
        }
        return out;
    }

    private static Capabilities capabilities(final Random r) {
        Capabilities c = Capabilities.none();
        if (r.nextBoolean()) {
            c = c.withMaxMsgFds(r.nextInt(3) == 0 ? anyInt(r) & 0x7ff : r.nextInt(17));
        }
        if (r.nextBoolean()) {
            c = c.withMaxDataXferSize(r.nextInt(3) == 0 ? anyLong(r) & Long.MAX_VALUE : 1L << (10 + r.nextInt(12)));
        }
        if (r.nextInt(4) == 0) {
            c = c.withMaxDmaMaps(anyInt(r) & 0x7fff_ffff);
        }
        if (r.nextInt(4) == 0) {
            c = c.withTern(new TernExtension(r.nextBoolean(), r.nextBoolean()));
        }
        if (r.nextInt(8) == 0) {
            c = c.withTwinSocket(TwinSocket.proposal());
        }
        return c;
    }
}
