package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * DEVICE_FEATURE (command 16) request and reply; both use this envelope (specification
 * "VFIO_USER_DEVICE_FEATURE"; {@code struct vfio_device_feature}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32, request: room for the reply                   |
 *  +-------------------------------+-------------------------------+
 *  |  4: flags  u32 bits 0-15:     |  bit 16 GET, bit 17 SET,      |
 *  |     feature index             |  bit 18 PROBE                 |
 *  +-------------------------------+-------------------------------+
 *  |  8: data ({@link FeaturePayload})                            ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * SET and PROBE replies are the request echoed; a GET reply adds the feature's data. How {@code data} is read:
 * <table>
 * <caption>payload type by operation</caption>
 * <tr><th>op</th><th>request</th><th>reply</th></tr>
 * <tr><td>PROBE (any)</td><td>Empty / Raw</td><td>Empty / Raw (echo)</td></tr>
 * <tr><td>GET</td><td>REPORT: DmaLoggingReport; else Empty</td><td>MigrationFlags, MigDeviceState,
 * DmaLoggingReportReply, MigDataSize, PrecopyInfo</td></tr>
 * <tr><td>SET</td><td colspan="2">MIG_DEVICE_STATE: MigDeviceState; LOGGING_START/STOP: DmaLoggingControl
 * (STOP may be Empty)</td></tr>
 * </table>
 * Unknown features, and unexpected data on a GET request, are kept as {@link FeaturePayload.Raw}. The request's
 * argsz must be at least 8, at least the request length for SET/PROBE (the reply echoes it; libvfio-user
 * checks the same) and at least 8 + the fixed reply data for a GET of a known feature (libvfio-user: "argsz ≥ 16"
 * for MIGRATION and MIG_DEVICE_STATE).
 *
 * @param argsz   u32 argsz
 * @param flags   u32 feature index and operation
 * @param payload the data
 */
public record DeviceFeature(int argsz, int flags, FeaturePayload payload) implements Request, Reply {
    /** Size of {@code argsz} + {@code flags}. */
    public static final int HEADER_SIZE = 8;
    /** Mask of the feature index. */
    public static final int INDEX_MASK = 0xffff;
    /** {@code VFIO_DEVICE_FEATURE_GET}. */
    public static final int GET = 1 << 16;
    /** {@code VFIO_DEVICE_FEATURE_SET}. */
    public static final int SET = 1 << 17;
    /** {@code VFIO_DEVICE_FEATURE_PROBE}. */
    public static final int PROBE = 1 << 18;
    /** Tern extension feature index (see {@link Feature#TERN_PRECOPY_INFO}). */
    public static final int FEATURE_TERN_PRECOPY_INFO = 0xFF01;

    /** Checks for null. */
    public DeviceFeature {
        Objects.requireNonNull(payload, "payload");
    }

    /**
     * {@return a GET request whose argsz leaves room for the fixed reply data}
     *
     * @param feature the feature
     */
    public static DeviceFeature get(final Feature feature) {
        return new DeviceFeature(HEADER_SIZE + feature.getReplySize(), GET | feature.index(),
                new FeaturePayload.Empty());
    }

    /**
     * {@return a GET request}
     *
     * @param feature   the feature
     * @param replySize bytes of reply data to leave room for (a reply that may be longer than the fixed one, e.g.
     * TERN_PRECOPY_INFO with its flags)
     */
    public static DeviceFeature get(final Feature feature, final int replySize) {
        return new DeviceFeature(HEADER_SIZE + replySize, GET | feature.index(), new FeaturePayload.Empty());
    }

    /**
     * {@return a DMA_LOGGING_REPORT GET request}
     *
     * @param report the range and granularity
     * @param bitmapBytes room to leave for the bitmap
     */
    public static DeviceFeature report(final FeaturePayload.DmaLoggingReport report, final int bitmapBytes) {
        return new DeviceFeature(HEADER_SIZE + FeaturePayload.DmaLoggingReport.SIZE + bitmapBytes,
                GET | Feature.DMA_LOGGING_REPORT.index(), report);
    }

    /**
     * {@return a SET request with argsz = its own length}
     *
     * @param feature the feature
     * @param data    what to set
     */
    public static DeviceFeature set(final Feature feature, final FeaturePayload data) {
        return new DeviceFeature(HEADER_SIZE + data.size(), SET | feature.index(), data);
    }

    /**
     * {@return a PROBE request without data}
     *
     * @param featureIndex the feature index
     * @param ops          GET and/or SET to probe for, or 0
     */
    public static DeviceFeature probe(final int featureIndex, final int ops) {
        return new DeviceFeature(HEADER_SIZE, PROBE | ops | featureIndex, new FeaturePayload.Empty());
    }

    /**
     * {@return the GET reply to this request: same flags, argsz = 8 + data length}
     *
     * @param data the feature's data
     */
    public DeviceFeature getReply(final FeaturePayload data) {
        return new DeviceFeature(HEADER_SIZE + data.size(), flags, data);
    }

    /** {@return the feature index, bits 0-15} */
    public int featureIndex() {
        return flags & INDEX_MASK;
    }

    /** {@return the known feature, if any} */
    public Optional<Feature> feature() {
        return Feature.of(featureIndex());
    }

    /** {@return whether GET is set} */
    public boolean isGet() {
        return (flags & GET) != 0;
    }

    /** {@return whether SET is set} */
    public boolean isSet() {
        return (flags & SET) != 0;
    }

    /** {@return whether PROBE is set} */
    public boolean isProbe() {
        return (flags & PROBE) != 0;
    }

    @Override
    public Command command() {
        return Command.DEVICE_FEATURE;
    }

    @Override
    public int payloadSize() {
        return HEADER_SIZE + payload.size();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags);
        payload.write(dst);
    }

    static DeviceFeature decode(final WireReader in, final boolean reply) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        if ((flags & ~(INDEX_MASK | GET | SET | PROBE)) != 0) {
            throw CodecException.invalid("DEVICE_FEATURE: unknown flags 0x" + Integer.toHexString(flags));
        }
        final boolean get = (flags & GET) != 0;
        final boolean set = (flags & SET) != 0;
        final boolean probe = (flags & PROBE) != 0;
        if (!get && !set && !probe) {
            throw CodecException.invalid("DEVICE_FEATURE: none of GET, SET, PROBE");
        }
        if (get && set && !probe) {
            throw CodecException.invalid("DEVICE_FEATURE: GET and SET together need PROBE");
        }
        final Optional<Feature> feature = Feature.of(flags & INDEX_MASK);
        final int dataLength = in.remaining();
        final FeaturePayload payload;
        if (probe) {
            payload = raw(in);
        } else if (get) {
            payload = reply ? getReplyData(in, feature) : getRequestData(in, feature);
        } else {
            payload = setData(in, feature);
        }
        in.end();
        if (!reply) {
            in.argszAtLeast(argsz, HEADER_SIZE);
            if (set || probe) {
                in.argszAtLeast(argsz, HEADER_SIZE + (long) dataLength);
            } else if (feature.isPresent()) {
                in.argszAtLeast(argsz, HEADER_SIZE + (long) feature.get().getReplySize());
            }
        }
        return new DeviceFeature(argsz, flags, payload);
    }

    private static FeaturePayload raw(final WireReader in) {
        return in.remaining() == 0 ? new FeaturePayload.Empty() : new FeaturePayload.Raw(in.rest());
    }

    private static FeaturePayload getRequestData(final WireReader in, final Optional<Feature> f)
            throws CodecException {
        if (f.orElse(null) == Feature.DMA_LOGGING_REPORT) {
            return new FeaturePayload.DmaLoggingReport(in.u64("iova"), in.u64("length"), in.u64("page_size"));
        }
        return raw(in);
    }

    private static FeaturePayload getReplyData(final WireReader in, final Optional<Feature> f)
            throws CodecException {
        if (f.isEmpty()) {
            return raw(in);
        }
        return switch (f.get()) {
            case MIGRATION -> new FeaturePayload.MigrationFlags(in.u64("migration flags"));
            case MIG_DEVICE_STATE -> new FeaturePayload.MigDeviceState(in.u32("device_state"), in.u32("data_fd"));
            case DMA_LOGGING_REPORT -> {
                final long iova = in.u64("iova");
                final long length = in.u64("length");
                final long pageSize = in.u64("page_size");
                if (in.remaining() % 8 != 0) {
                    throw CodecException.invalid("DMA_LOGGING_REPORT: bitmap of " + in.remaining()
                            + " bytes is not made of u64 words");
                }
                yield new FeaturePayload.DmaLoggingReportReply(iova, length, pageSize, in.rest());
            }
            case MIG_DATA_SIZE -> new FeaturePayload.MigDataSize(in.u64("stop_copy_length"));
            case TERN_PRECOPY_INFO -> new FeaturePayload.PrecopyInfo(in.u64("initial_bytes"),
                    in.u64("dirty_bytes"), in.remaining() >= 8 ? in.u64("flags") & Long.MAX_VALUE : -1);
            case DMA_LOGGING_START, DMA_LOGGING_STOP -> raw(in);
        };
    }

    private static FeaturePayload setData(final WireReader in, final Optional<Feature> f) throws CodecException {
        if (f.isEmpty()) {
            return raw(in);
        }
        return switch (f.get()) {
            case MIG_DEVICE_STATE -> new FeaturePayload.MigDeviceState(in.u32("device_state"), in.u32("data_fd"));
            case DMA_LOGGING_START -> loggingControl(in);
            case DMA_LOGGING_STOP -> in.remaining() == 0 ? new FeaturePayload.Empty() : loggingControl(in);
            case MIGRATION, DMA_LOGGING_REPORT, MIG_DATA_SIZE, TERN_PRECOPY_INFO -> raw(in);
        };
    }

    private static FeaturePayload loggingControl(final WireReader in) throws CodecException {
        final long pageSize = in.u64("page_size");
        final long n = Integer.toUnsignedLong(in.u32("num_ranges"));
        in.u32("reserved");
        if (n * 16 != in.remaining()) {
            throw CodecException.invalid("DMA_LOGGING: num_ranges " + n + " does not match " + in.remaining()
                    + " bytes of ranges");
        }
        final List<FeaturePayload.IovaRange> ranges = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            ranges.add(new FeaturePayload.IovaRange(in.u64("iova"), in.u64("length")));
        }
        return new FeaturePayload.DmaLoggingControl(pageSize, ranges);
    }
}
