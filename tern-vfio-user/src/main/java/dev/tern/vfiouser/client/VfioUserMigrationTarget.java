package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StateChange;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.extension.TernDiagnostics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A device behind a vfio-user socket as a {@link MigrationTarget}, so the conformance kit and the orchestrator
 * drive it exactly as they drive the in-process engine.
 * <p>
 * State changes send the target state directly (SET MIG_DEVICE_STATE): the server walks combination transitions
 * itself (libvfio-user's {@code next_state} table, the kernel's {@code vfio_mig_get_next_state}), then the reached
 * state is read back (GET) and compared. After a refused or failed request the state is read back too and reported
 * in the {@link MigrationException}. {@link #state()} returns the state known from the last exchange (this client
 * is the device's only client), {@link #queryState()} asks the server.
 * <p>
 * Not in the specification, hence only with a Tern server that accepted the {@code tern} capability object:
 * {@link #precopyInfo()} (TERN_PRECOPY_INFO), {@link #stopCopySize()} (MIG_DATA_SIZE), {@link #checksum()} and
 * {@link #failNextArc} (see {@link TernDiagnostics}); for other servers they fail with ENOTTY here, without a
 * message, and {@link #capabilities()} says so up front. {@link #reset()} does not assume the server's reset
 * returns to RUNNING (libvfio-user's does not). {@link #kind()} is derived from the PCI ids in config space and
 * {@link #formatVersion()} is 0 (unknown): vfio-user does not carry them.
 */
public final class VfioUserMigrationTarget implements MigrationTarget {
    private final VfioUserClient client;
    /** A REINIT the server reported to {@link #precopyInfoKeepingReinit()}, not yet handed to a caller. */
    private final java.util.concurrent.atomic.AtomicBoolean reinitUnreported =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final Runnable onClose;
    private final MigrationFlags flags;
    private final String kind;
    private MigrationState state;
    private RemoteMigrationStream current;

    /**
     * Reads the migration flags, the state and the PCI ids.
     *
     * @param client  a negotiated client; the target owns it and closes it
     * @param onClose run after the client is closed
     * @throws DeviceException if the server does not support migration (MIGRATION GET fails)
     */
    public VfioUserMigrationTarget(final VfioUserClient client, final Runnable onClose) throws DeviceException {
        this.client = client;
        this.onClose = onClose;
        final DeviceFeature f = client.feature(DeviceFeature.get(Feature.MIGRATION));
        if (!(f.payload() instanceof FeaturePayload.MigrationFlags m)) {
            throw new DeviceException(Errno.EPROTO, "MIGRATION GET reply without flags");
        }
        try {
            this.flags = new MigrationFlags((int) (m.flags() & MigrationFlags.ALL.bits()));
        } catch (final IllegalArgumentException e) {
            throw new DeviceException(Errno.ENOTTY, "the device has no usable migration flags: " + e.getMessage());
        }
        this.state = queryState();
        this.kind = "pci " + pciId(client);
    }

    private static String pciId(final VfioUserClient client) {
        try {
            final ByteBuffer b = ByteBuffer.wrap(client.readRegion(RegionInfo.PCI_CONFIG, 0, 4))
                    .order(ByteOrder.LITTLE_ENDIAN);
            return String.format("%04x:%04x", b.getShort() & 0xffff, b.getShort() & 0xffff);
        } catch (final DeviceException e) {
            return "unknown";
        }
    }

    /** {@return the client this target drives} */
    public VfioUserClient client() {
        return client;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public int formatVersion() {
        return 0;
    }

    /**
     * Only a Tern server that accepted the {@code tern} object answers PRECOPY_INFO, MIG_DATA_SIZE and CHECKSUM, and
     * follows the uAPI's DMA-logging errno table; DMA logging itself is part of the vfio-user specification, whose
     * looser rules apply to any other server.
     */
    @Override
    public TargetCapabilities capabilities() {
        final boolean tern = client.ternAccepted();
        return new TargetCapabilities(client.session().tern().precopyInfo(), tern, tern, true,
                tern ? TargetCapabilities.DirtyLogRules.TERN_VFIO_USER : TargetCapabilities.DirtyLogRules.VFIO_USER);
    }

    @Override
    public MigrationFlags flags() {
        return flags;
    }

    @Override
    public synchronized MigrationState state() {
        return state;
    }

    /**
     * {@return the state the server reports now (GET MIG_DEVICE_STATE)}
     *
     * @throws DeviceException with the server's errno, or for a transport failure
     */
    public MigrationState queryState() throws DeviceException {
        final DeviceFeature f = client.feature(DeviceFeature.get(Feature.MIG_DEVICE_STATE));
        if (!(f.payload() instanceof FeaturePayload.MigDeviceState s) || s.deviceState() < 0
                || s.deviceState() >= MigrationState.COUNT) {
            throw new DeviceException(Errno.EPROTO, "MIG_DEVICE_STATE GET reply " + f.payload());
        }
        return MigrationState.ofUapi(s.deviceState());
    }

    @Override
    public synchronized StateChange setState(final MigrationState target) throws DeviceException {
        final MigrationState before = state;
        endPipelines(target);
        try {
            client.feature(DeviceFeature.set(Feature.MIG_DEVICE_STATE,
                    new FeaturePayload.MigDeviceState(target.uapi(), -1)));
        } catch (final DeviceException e) {
            final Optional<MigrationState> now = tryQueryState();
            // Unknown is reported as ERROR (the uAPI's state for "cannot say"), but the message says it was not read.
            settle(now.orElse(MigrationState.ERROR), before);
            throw new MigrationException(e.errno(), "SET " + target + " from " + before + " failed: "
                    + e.getMessage() + "; " + now.map(s -> "the device reads back " + s)
                            .orElse("the state could not be read back"), state, e);
        }
        final MigrationState reached = queryState();
        settle(reached, before);
        if (reached != target) {
            throw new MigrationException(Errno.EIO, "SET " + target + " succeeded but the server reports " + reached,
                    reached, null);
        }
        final boolean opens = (target.isSaving() && !before.isSaving())
                || (target == MigrationState.RESUMING && before != MigrationState.RESUMING);
        if (opens) {
            current = new RemoteMigrationStream(this, client, target.isSaving());
        }
        return new StateChange(reached, opens ? Optional.<MigrationStream>of(current) : Optional.empty());
    }

    /** Before a state change: writes in flight awaited (a refused one fails it, unsent), a read ahead dropped. */
    private void endPipelines(final MigrationState target) throws MigrationException {
        if (current == null) {
            return;
        }
        try {
            current.finishWrites();
        } catch (final DeviceException e) {
            throw new MigrationException(e.errno(), "SET " + target + " not sent: " + e.getMessage(), state, e);
        } finally {
            current.abandon();
        }
    }

    /** Records the state now and ends the stream if the device left its session. */
    private void settle(final MigrationState now, final MigrationState before) {
        final boolean sameSession = (before.isSaving() && now.isSaving())
                || (before == MigrationState.RESUMING && now == MigrationState.RESUMING);
        if (!sameSession) {
            current = null;
        }
        state = now;
    }

    private Optional<MigrationState> tryQueryState() {
        try {
            return Optional.of(queryState());
        } catch (final DeviceException e) {
            return Optional.empty();
        }
    }

    synchronized boolean isCurrent(final RemoteMigrationStream s) {
        return current == s;
    }

    @Override
    public PrecopyInfo precopyInfo() throws DeviceException {
        if (!client.session().tern().precopyInfo()) {
            throw new DeviceException(Errno.ENOTTY, "the server does not offer TERN_PRECOPY_INFO");
        }
        final PrecopyInfo p = queryPrecopyInfo();
        final boolean reinit = reinitUnreported.getAndSet(false) || p.reinit();
        return new PrecopyInfo(p.initialBytes(), p.dirtyBytes(), reinit);
    }

    /**
     * PRECOPY_INFO for this client's own use (read sizes): the server reports REINIT once, so one seen here is kept
     * for the next {@link #precopyInfo()} caller, the migration, which must renew its switchover-ack.
     */
    PrecopyInfo precopyInfoKeepingReinit() throws DeviceException {
        final PrecopyInfo p = queryPrecopyInfo();
        if (p.reinit()) {
            reinitUnreported.set(true);
        }
        return p;
    }

    private PrecopyInfo queryPrecopyInfo() throws DeviceException {
        final boolean v2 = client.session().tern().precopyInfoV2();
        final DeviceFeature f = client.feature(v2
                ? DeviceFeature.get(Feature.TERN_PRECOPY_INFO, FeaturePayload.PrecopyInfo.V2_SIZE)
                : DeviceFeature.get(Feature.TERN_PRECOPY_INFO));
        if (!(f.payload() instanceof FeaturePayload.PrecopyInfo p)) {
            throw new DeviceException(Errno.EPROTO, "PRECOPY_INFO GET reply " + f.payload());
        }
        return new PrecopyInfo(p.initialBytes(), p.dirtyBytes(), v2 && p.reinit());
    }

    /** MIG_DATA_SIZE is a kernel feature, not a vfio-user one: only a Tern server with the extension answers. */
    @Override
    public long stopCopySize() throws DeviceException {
        if (!client.ternAccepted()) {
            throw new DeviceException(Errno.ENOTTY, "the server does not offer MIG_DATA_SIZE (not a vfio-user"
                    + " feature; only Tern's server with the tern extension answers it)");
        }
        final DeviceFeature f = client.feature(DeviceFeature.get(Feature.MIG_DATA_SIZE));
        if (!(f.payload() instanceof FeaturePayload.MigDataSize s)) {
            throw new DeviceException(Errno.EPROTO, "MIG_DATA_SIZE GET reply " + f.payload());
        }
        return s.stopCopyLength();
    }

    /**
     * DEVICE_RESET, then the state read back; if it is not RUNNING the FSM is walked there (SET RUNNING: the server
     * takes the path). vfio-user does not promise that a reset returns to RUNNING: libvfio-user keeps the migration
     * state across a reset and refuses it (EINVAL) in STOP and STOP_COPY (vfio-user-interop.md L2), so a refused
     * reset is not a failure as long as the walk gets there. A device left in ERROR by a failed walk is reset once
     * more (the uAPI's way out of ERROR).
     *
     * @throws DeviceException if the device is not RUNNING afterwards, naming the state read back
     */
    @Override
    public synchronized void reset() throws DeviceException {
        if (current != null) {
            current.abandon();
        }
        current = null;
        final List<String> steps = new ArrayList<>();
        for (int attempt = 0; attempt < 2; attempt++) {
            tryStep(steps, "DEVICE_RESET", client::reset);
            state = readBack();
            if (state != MigrationState.RUNNING && state != MigrationState.ERROR) {
                final MigrationState from = state;
                tryStep(steps, "SET RUNNING from " + from, () -> client.feature(DeviceFeature.set(
                        Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(MigrationState.RUNNING.uapi(),
                                -1))));
                state = readBack();
            }
            if (state == MigrationState.RUNNING) {
                return;
            }
        }
        throw new DeviceException(Errno.EIO, "reset: the device reads back " + state + ", not RUNNING"
                + (steps.isEmpty() ? "" : " (" + String.join("; ", steps) + ")"));
    }

    private MigrationState readBack() throws DeviceException {
        try {
            return queryState();
        } catch (final DeviceException e) {
            throw new DeviceException(e.errno(), "reset: the state could not be read back: " + e.getMessage(), e);
        }
    }

    /**
     * A step of {@link #reset()}: a refusal is noted, not thrown; what counts is the state read back next (which
     * throws if the connection is gone).
     */
    private static void tryStep(final List<String> refusals, final String what, final Step step) {
        try {
            step.run();
        } catch (final DeviceException e) {
            refusals.add(what + " refused: " + Errno.name(e.errno()));
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws DeviceException;
    }

    @Override
    public long startDirtyLogging(final long pageSize, final List<DmaRange> ranges) throws DeviceException {
        final List<FeaturePayload.IovaRange> wire = new ArrayList<>();
        for (final DmaRange r : ranges) {
            wire.add(new FeaturePayload.IovaRange(r.iova(), r.length()));
        }
        final DeviceFeature reply = client.feature(DeviceFeature.set(Feature.DMA_LOGGING_START,
                new FeaturePayload.DmaLoggingControl(pageSize, wire)));
        return reply.payload() instanceof FeaturePayload.DmaLoggingControl c ? c.pageSize() : pageSize;
    }

    /**
     * DMA_LOGGING_REPORT, split into requests whose bitmaps fit both sides' {@code max_data_xfer_size}. Each piece
     * covers a multiple of 64 pages, so its bitmap words land whole in {@code bitmapOut}. (libvfio-user only
     * reports whole DMA regions, vfio-user.md §2.4: a range that needs no split is sent as it is.)
     */
    @Override
    public void reportDirty(final long iova, final long length, final long pageSize, final long[] bitmapOut)
            throws DeviceException {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1 || length <= 0) {
            throw new DeviceException(Errno.EINVAL, "report page size " + pageSize + ", length " + length);
        }
        final long pages = (length - 1) / pageSize + 1;
        if (bitmapOut.length * 64L < pages) {
            throw new DeviceException(Errno.EINVAL, "bitmap of " + bitmapOut.length + " words cannot hold " + pages
                    + " pages");
        }
        final long piecePages = Math.max(64, client.maxDataPiece() / 8 * 64);
        for (long first = 0; first < pages; first += piecePages) {
            final long n = Math.min(piecePages, pages - first);
            final long at = iova + first * pageSize;
            final long len = Math.min(n * pageSize, length - first * pageSize);
            final int bytes = (int) ((n + 63) / 64 * 8);
            final DeviceFeature reply = client.feature(DeviceFeature.report(
                    new FeaturePayload.DmaLoggingReport(at, len, pageSize), bytes));
            if (!(reply.payload() instanceof FeaturePayload.DmaLoggingReportReply r) || r.bitmap().length() < bytes) {
                throw new DeviceException(Errno.EPROTO, "DMA_LOGGING_REPORT reply " + reply.payload());
            }
            final int base = (int) (first / 64);
            for (int w = 0; w < bytes / 8; w++) {
                bitmapOut[base + w] |= r.word(w);
            }
        }
    }

    @Override
    public void stopDirtyLogging() throws DeviceException {
        client.feature(DeviceFeature.set(Feature.DMA_LOGGING_STOP, new FeaturePayload.DmaLoggingControl(0,
                List.of())));
    }

    @Override
    public long checksum() throws DeviceException {
        if (!client.ternAccepted()) {
            throw new DeviceException(Errno.ENOTTY, "the server offers no Tern CHECKSUM feature");
        }
        final DeviceFeature f = client.feature(new DeviceFeature(DeviceFeature.HEADER_SIZE
                + TernDiagnostics.CHECKSUM_SIZE, DeviceFeature.GET | TernDiagnostics.CHECKSUM,
                new FeaturePayload.Empty()));
        if (!(f.payload() instanceof FeaturePayload.Raw raw)) {
            throw new DeviceException(Errno.EPROTO, "CHECKSUM GET reply " + f.payload());
        }
        return TernDiagnostics.decodeChecksum(raw.bytes());
    }

    /**
     * Tern test hook: the next time the device performs {@code arc}, it fails with {@code errno}.
     *
     * @param arc the arc to fail
     * @param errno the errno the failure reports
     * @return false if the server does not offer FAIL_NEXT_ARC (not a Tern server, or fault injection off)
     */
    public boolean failNextArc(final Arc arc, final int errno) {
        if (!client.ternAccepted()) {
            return false;
        }
        final TernDiagnostics.ArcFailure a = new TernDiagnostics.ArcFailure(arc.from().uapi(), arc.to().uapi(),
                errno);
        try {
            client.feature(new DeviceFeature(DeviceFeature.HEADER_SIZE + TernDiagnostics.FAIL_NEXT_ARC_SIZE,
                    DeviceFeature.SET | TernDiagnostics.FAIL_NEXT_ARC, new FeaturePayload.Raw(a.encode())));
            return true;
        } catch (final DeviceException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            onClose.run();
        }
    }
}
