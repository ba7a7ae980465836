package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StateChange;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.codec.TernExtension;
import dev.tern.vfiouser.extension.TernDiagnostics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * DEVICE_FEATURE (specification "VFIO_USER_DEVICE_FEATURE", vfio-user.md §2.1), backed by the device's
 * {@link MigrationEngine}. Operations per feature (anything else, and PROBE of an operation not listed, is EINVAL
 * as in libvfio-user's {@code device_feature_flags_supported}):
 * <table>
 * <caption>features served</caption>
 * <tr><th>feature</th><th>ops</th><th>when</th></tr>
 * <tr><td>MIGRATION (1)</td><td>GET</td><td>always; P2P hidden unless the Tern extension {@code p2p} was
 * negotiated</td></tr>
 * <tr><td>MIG_DEVICE_STATE (2)</td><td>GET, SET</td><td>always; RUNNING_P2P / PRE_COPY_P2P only with {@code p2p}</td></tr>
 * <tr><td>DMA_LOGGING_START/STOP (6/7)</td><td>SET</td><td>always</td></tr>
 * <tr><td>DMA_LOGGING_REPORT (8)</td><td>GET</td><td>always</td></tr>
 * <tr><td>MIG_DATA_SIZE (9)</td><td>GET</td><td>client proposed the {@code tern} object (a kernel feature, not a
 * vfio-user one: libvfio-user answers EINVAL, vfio-user-interop.md L4)</td></tr>
 * <tr><td>TERN_PRECOPY_INFO (0xFF01)</td><td>GET</td><td>Tern extension {@code precopy_info}</td></tr>
 * <tr><td>CHECKSUM (0xFF02)</td><td>GET</td><td>client proposed the {@code tern} object</td></tr>
 * <tr><td>FAIL_NEXT_ARC (0xFF03)</td><td>SET</td><td>as CHECKSUM, and the server enables fault injection</td></tr>
 * </table>
 * SET and PROBE replies echo the request (libvfio-user; its sample client compares the echo byte for byte), except
 * that DMA_LOGGING_START reports the page size the device chose, as the kernel writes it back. DMA_LOGGING_START
 * with no ranges logs every write, including to mappings added later (the specification's "all writes"). A REPORT's
 * bitmap must fit the smaller of both sides' {@code max_data_xfer_size} and the request's argsz (else EINVAL), so one
 * request can never make the server build or send more than that; the log itself only grows with pages written.
 */
final class FeatureHandler {
    private final ServedDevice served;
    private final TernExtension tern;
    private final boolean diagnostics;
    private final boolean faultInjection;
    private final long maxReplyData;

    /**
     * @param served         the device
     * @param tern           the negotiated Tern extension features
     * @param diagnostics    whether the client proposed the {@code tern} object
     * @param faultInjection whether FAIL_NEXT_ARC is enabled on this server
     * @param maxReplyData   the smaller {@code max_data_xfer_size} of client and server: bound of a REPORT bitmap
     */
    FeatureHandler(final ServedDevice served, final TernExtension tern, final boolean diagnostics,
            final boolean faultInjection, final long maxReplyData) {
        this.served = served;
        this.tern = tern;
        this.diagnostics = diagnostics;
        this.faultInjection = faultInjection && diagnostics;
        this.maxReplyData = maxReplyData;
    }

    /** @return GET and/or SET as supported for this index, or 0 if the feature is unknown or hidden */
    int supportedOps(final int index) {
        return switch (index) {
            case 1, 8 -> DeviceFeature.GET;
            case 9 -> diagnostics ? DeviceFeature.GET : 0;
            case 2 -> DeviceFeature.GET | DeviceFeature.SET;
            case 6, 7 -> DeviceFeature.SET;
            case DeviceFeature.FEATURE_TERN_PRECOPY_INFO -> tern.precopyInfo() ? DeviceFeature.GET : 0;
            case TernDiagnostics.CHECKSUM -> diagnostics ? DeviceFeature.GET : 0;
            case TernDiagnostics.FAIL_NEXT_ARC -> faultInjection ? DeviceFeature.SET : 0;
            default -> 0;
        };
    }

    Outcome handle(final DeviceFeature f) throws DeviceException {
        final int index = f.featureIndex();
        final int supported = supportedOps(index);
        final int ops = f.flags() & (DeviceFeature.GET | DeviceFeature.SET);
        if (supported == 0) {
            return Outcome.fail(Errno.EINVAL, "DEVICE_FEATURE: unknown feature 0x" + Integer.toHexString(index));
        }
        if ((ops & ~supported) != 0) {
            return Outcome.fail(Errno.EINVAL, "DEVICE_FEATURE: feature 0x" + Integer.toHexString(index)
                    + " does not support ops 0x" + Integer.toHexString(ops));
        }
        if (f.isProbe()) {
            return Outcome.ok(f);
        }
        return f.isGet() ? get(f, index) : set(f, index);
    }

    private Outcome get(final DeviceFeature f, final int index) throws DeviceException {
        final MigrationEngine e = served.engine();
        final FeaturePayload data = switch (index) {
            case 1 -> new FeaturePayload.MigrationFlags(tern.visibleMigrationFlags(e.flags().bits()));
            case 2 -> new FeaturePayload.MigDeviceState(e.state().uapi(), 0);
            case 9 -> new FeaturePayload.MigDataSize(e.stopCopySize());
            case DeviceFeature.FEATURE_TERN_PRECOPY_INFO -> {
                final PrecopyInfo p = e.precopyInfo();
                // The flags only to a client that negotiated them and left room (argsz); REINIT is then reported
                // once, like the kernel's; an older client sees the 16 bytes and initial_bytes jumping.
                yield tern.precopyInfoV2() && Integer.toUnsignedLong(f.argsz())
                        >= DeviceFeature.HEADER_SIZE + FeaturePayload.PrecopyInfo.V2_SIZE
                        ? new FeaturePayload.PrecopyInfo(p.initialBytes(), p.dirtyBytes(),
                                p.reinit() ? FeaturePayload.PrecopyInfo.REINIT : 0)
                        : new FeaturePayload.PrecopyInfo(p.initialBytes(), p.dirtyBytes());
            }
            case TernDiagnostics.CHECKSUM -> new FeaturePayload.Raw(TernDiagnostics.encodeChecksum(e.checksum()));
            default -> null;
        };
        if (data != null) {
            return Outcome.ok(f.getReply(data));
        }
        return report(f);
    }

    /** DMA_LOGGING_REPORT: bitmap bytes = ceil(pages / 64) * 8, bit i = page i (vfio-user.md §2.4). */
    private Outcome report(final DeviceFeature f) throws DeviceException {
        if (!(f.payload() instanceof FeaturePayload.DmaLoggingReport r)) {
            return Outcome.fail(Errno.EINVAL, "DMA_LOGGING_REPORT: no iova/length/page_size");
        }
        if (r.pageSize() <= 0 || Long.bitCount(r.pageSize()) != 1 || r.length() <= 0) {
            return Outcome.fail(Errno.EINVAL, "DMA_LOGGING_REPORT: page size " + r.pageSize() + ", length "
                    + r.length());
        }
        final long pages = (r.length() - 1) / r.pageSize() + 1;
        final long bytes = (pages + 63) / 64 * 8;
        if (bytes > maxReplyData || Integer.toUnsignedLong(f.argsz()) < DeviceFeature.HEADER_SIZE
                + FeaturePayload.DmaLoggingReport.SIZE + bytes) {
            return Outcome.fail(Errno.EINVAL, "DMA_LOGGING_REPORT: a " + bytes + "-byte bitmap does not fit argsz "
                    + Integer.toUnsignedLong(f.argsz()) + " or max_data_xfer_size " + maxReplyData);
        }
        final long[] words = new long[(int) (bytes / 8)];
        served.engine().reportDirty(r.iova(), r.length(), r.pageSize(), words);
        final ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (final long w : words) {
            b.putLong(w);
        }
        return Outcome.ok(f.getReply(new FeaturePayload.DmaLoggingReportReply(r.iova(), r.length(), r.pageSize(),
                Blob.wrap(b.array()))));
    }

    private Outcome set(final DeviceFeature f, final int index) throws DeviceException {
        final MigrationEngine e = served.engine();
        switch (f.payload()) {
            case FeaturePayload.MigDeviceState s when index == 2 -> {
                final long target = Integer.toUnsignedLong(s.deviceState());
                if (target >= MigrationState.COUNT || !tern.allowsDeviceState((int) target)) {
                    return Outcome.fail(Errno.EINVAL, "MIG_DEVICE_STATE: no state " + target);
                }
                final StateChange c = e.setState(MigrationState.ofUapi((int) target));
                c.stream().ifPresent(served::stream);
                return Outcome.ok(f);
            }
            case FeaturePayload.DmaLoggingControl c when index == 6 -> {
                final List<DmaRange> ranges = new ArrayList<>();
                for (final FeaturePayload.IovaRange r : c.ranges()) {
                    ranges.add(DmaRange.checked(r.iova(), r.length()));
                }
                // Specification: "a value of zero [num_ranges] indicates that all writes should be logged" -
                // every write, to mappings added after START too (vfio-user.md §2.1, issue 8 item 7).
                final long chosen = ranges.isEmpty() ? served.device().dma().dirtyLog().startAll(c.pageSize())
                        : e.startDirtyLogging(c.pageSize(), ranges);
                return Outcome.ok(new DeviceFeature(f.argsz(), f.flags(),
                        new FeaturePayload.DmaLoggingControl(chosen, c.ranges())));
            }
            case FeaturePayload.DmaLoggingControl c when index == 7 -> {
                e.stopDirtyLogging();
                return Outcome.ok(f);
            }
            case FeaturePayload.Empty x when index == 7 -> {
                e.stopDirtyLogging();
                return Outcome.ok(f);
            }
            case FeaturePayload.Raw raw when index == TernDiagnostics.FAIL_NEXT_ARC -> {
                return failNextArc(f, raw.bytes());
            }
            default -> {
                return Outcome.fail(Errno.EINVAL, "DEVICE_FEATURE: bad SET data for feature 0x"
                        + Integer.toHexString(index));
            }
        }
    }

    private Outcome failNextArc(final DeviceFeature f, final Blob data) {
        final TernDiagnostics.ArcFailure a;
        try {
            a = TernDiagnostics.ArcFailure.decode(data);
        } catch (final IllegalArgumentException x) {
            return Outcome.fail(Errno.EINVAL, x.getMessage());
        }
        final long from = Integer.toUnsignedLong(a.from());
        final long to = Integer.toUnsignedLong(a.to());
        final Arc arc = from < MigrationState.COUNT && to < MigrationState.COUNT
                ? Arc.between(MigrationState.ofUapi((int) from), MigrationState.ofUapi((int) to)) : null;
        if (arc == null || a.errno() <= 0) {
            return Outcome.fail(Errno.EINVAL, "FAIL_NEXT_ARC: no arc " + from + " -> " + to + " or bad errno");
        }
        served.engine().failNextArc(arc, a.errno());
        return Outcome.ok(f);
    }
}
