package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.migration.MigrationException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StateChange;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;

/**
 * A kernel VFIO device as a {@link MigrationTarget}: {@code VFIO_DEVICE_FEATURE} MIGRATION / MIG_DEVICE_STATE /
 * MIG_DATA_SIZE / DMA_LOGGING_*, the data fd as a {@link MigrationStream}, {@code VFIO_DEVICE_RESET}.
 *
 * <p>No state is assumed (vfio-migration.md §2.7): after a failed SET the state is read back with GET and reported in
 * the {@link MigrationException}; after a reset it is read back too. What the device offers is probed once when the
 * target is opened and declared in {@link #capabilities()}: PRECOPY_INFO with the PRE_COPY flag (mandatory then,
 * §2.9), MIG_DATA_SIZE by GET, DMA logging when START probes and a trial START/REPORT/STOP works (Debian 6.12's REPORT
 * fails EOPNOTSUPP without IOMMUFD_DRIVER, test-vm.md §3: "logging unavailable"), no checksum (kernel devices have
 * none). The DMA-logging trial is the one probe with effects on the device (it starts and stops logging), so it runs
 * on first use of {@link #capabilities()} or {@link #loggingNote()}, not at open: opening a device to read its state
 * or reset it does not touch its dirty tracking.
 */
public final class KernelMigrationTarget implements MigrationTarget {

    private final VfioDevice device;
    private final MigrationFlags flags;
    private final boolean dataSize;
    private TargetCapabilities capabilities;
    private String loggingNote;
    private final boolean precopyInfoV2;
    private Runnable onClose = () -> { };
    private volatile MigrationState known;
    private DataFdStream stream;

    private KernelMigrationTarget(final VfioDevice device, final MigrationFlags flags, final boolean dataSize,
            final boolean precopyInfoV2) {
        this.device = device;
        this.flags = flags;
        this.dataSize = dataSize;
        this.precopyInfoV2 = precopyInfoV2;
    }

    /** Runs the DMA-logging trial once, on first need (see the class comment). */
    private synchronized void probeLogging() {
        if (loggingNote == null) {
            loggingNote = DmaLogging.trial(device);
            capabilities = new TargetCapabilities(flags.has(MigrationFeature.PRE_COPY), dataSize, false,
                    loggingNote.isEmpty());
        }
    }

    /**
     * Reads the device's migration flags and probes its optional features. The device keeps ownership of nothing:
     * closing the target closes {@code device}.
     *
     * @param device an open device; the target owns it from now on
     * @return the target, in the state the device reports
     * @throws DeviceException ENOTTY if the device has no migration support (the device is closed then)
     */
    public static KernelMigrationTarget open(final VfioDevice device) throws DeviceException {
        try {
            final long bits = migrationFlags(device);
            if ((bits & ~7L) != 0 || (bits & 1) == 0) {
                throw new DeviceException(Errno.EPROTO, "migration flags 0x" + Long.toHexString(bits)
                        + ": STOP_COPY missing or bits Tern does not know");
            }
            final boolean dataSize = device.probe(Vfio.FEATURE_MIG_DATA_SIZE, Vfio.FEATURE_GET);
            final boolean v2 = optInPrecopyInfoV2(device);
            final KernelMigrationTarget t = new KernelMigrationTarget(device, new MigrationFlags((int) bits),
                    dataSize, v2);
            t.known = t.state();
            return t;
        } catch (final DeviceException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /**
     * MIG_PRECOPY_INFOv2 (feature 12, SET, no payload; 7.1+, vfio-user-interop.md §3): opting in makes the kernel
     * report {@code VFIO_PRECOPY_INFO_REINIT} in PRECOPY_INFO's flags, which the migration answers by renewing the
     * device's switchover-ack. A kernel without it answers the PROBE with ENOTTY or EINVAL: REINIT stays absent.
     */
    private static boolean optInPrecopyInfoV2(final VfioDevice device) {
        if (!device.probe(Vfio.FEATURE_MIG_PRECOPY_INFOV2, Vfio.FEATURE_SET)) {
            return false;
        }
        try {
            device.feature(Vfio.FEATURE_MIG_PRECOPY_INFOV2 | Vfio.FEATURE_SET, MemorySegment.ofArray(new byte[0]),
                    "VFIO_DEVICE_FEATURE SET MIG_PRECOPY_INFOv2");
            return true;
        } catch (final DeviceException e) {
            return false;
        }
    }

    /**
     * Runs {@code hook} after {@link #close()} (a subject releasing the device for the next open).
     *
     * @param hook what to run, once
     */
    public void onClose(final Runnable hook) {
        this.onClose = hook;
    }

    /** {@return the device underneath (regions, IRQs, the container for DMA mapping)} */
    public VfioDevice device() {
        return device;
    }

    /** {@return why DMA logging is not offered ("" when it is)} */
    public synchronized String loggingNote() {
        probeLogging();
        return loggingNote;
    }

    /** {@return true if the kernel offers MIG_PRECOPY_INFOv2 (feature 12; 7.1+)} */
    public boolean precopyInfoV2() {
        return precopyInfoV2;
    }

    @Override
    public String kind() {
        return "kernel-vfio/" + device.address().kind();
    }

    @Override
    public int formatVersion() {
        return 1;
    }

    @Override
    public MigrationFlags flags() {
        return flags;
    }

    @Override
    public synchronized TargetCapabilities capabilities() {
        probeLogging();
        return capabilities;
    }

    @Override
    public MigrationState state() {
        try {
            return readState();
        } catch (final DeviceException e) {
            throw new IllegalStateException("MIG_DEVICE_STATE GET failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized StateChange setState(final MigrationState target) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(VfioLayouts.MIG_STATE);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.MIG_STATE_DEVICE_STATE, target.uapi());
            s.set(ValueLayout.JAVA_INT, VfioLayouts.MIG_STATE_DATA_FD, -1);
            try {
                device.feature(Vfio.FEATURE_SET | Vfio.FEATURE_MIG_DEVICE_STATE, s, "MIG_DEVICE_STATE SET "
                        + target);
            } catch (final DeviceException e) {
                throw failedArc(target, e);
            }
            known = target;
            final int fd = s.get(ValueLayout.JAVA_INT, VfioLayouts.MIG_STATE_DATA_FD);
            return new StateChange(target, sessionAfter(target, fd));
        }
    }

    /** Retires the current stream when {@code target} ends its session; wraps a new data fd. */
    private Optional<MigrationStream> sessionAfter(final MigrationState target, final int fd) {
        final boolean stays = stream != null && (stream.isSaving() ? target.isSaving()
                : target == MigrationState.RESUMING);
        if (stream != null && (!stays || fd >= 0)) {
            stream.retire();
            stream = null;
        }
        if (fd < 0) {
            return Optional.empty();
        }
        stream = new DataFdStream(new Fd(fd), target.isSaving(), () -> known);
        return Optional.of(stream);
    }

    /** §2.7: after a failed SET the device may be anywhere on the path, or ERROR; read it back, never assume. */
    private MigrationException failedArc(final MigrationState target, final DeviceException e) {
        MigrationState now;
        String detail;
        try {
            now = readState();
            detail = "device read back in " + now;
        } catch (final DeviceException g) {
            now = MigrationState.ERROR;
            detail = "state unreadable (" + Errno.name(g.errno()) + "), taken as ERROR";
        }
        known = now;
        if (stream != null && (now != target) && !(stream.isSaving() ? now.isSaving()
                : now == MigrationState.RESUMING)) {
            stream.retire();
            stream = null;
        }
        return new MigrationException(e.errno(), "SET " + target + " failed: " + e.getMessage() + "; " + detail,
                now, e);
    }

    @Override
    public PrecopyInfo precopyInfo() throws DeviceException {
        final DataFdStream s = stream;
        if (s == null || !s.isSaving()) {
            throw new DeviceException(Errno.EINVAL, "PRECOPY_INFO: no saving data fd open (not in PRE_COPY)");
        }
        final long[] info = s.precopyInfo();
        return new PrecopyInfo(info[0], info[1], precopyInfoV2 && (info[2] & Vfio.PRECOPY_INFO_REINIT) != 0);
    }

    @Override
    public long stopCopySize() throws DeviceException {
        return get(device, Vfio.FEATURE_MIG_DATA_SIZE, "VFIO_DEVICE_FEATURE GET MIG_DATA_SIZE");
    }

    @Override
    public synchronized void reset() throws DeviceException {
        device.reset();
        if (stream != null) {
            stream.retire();
            stream = null;
        }
        final MigrationState now = readState();
        known = now;
        if (now != MigrationState.RUNNING) {
            throw new MigrationException(Errno.EIO, "VFIO_DEVICE_RESET left the device in " + now
                    + " (read back), not RUNNING", now, null);
        }
    }

    @Override
    public long startDirtyLogging(final long pageSize, final List<DmaRange> ranges) throws DeviceException {
        return DmaLogging.start(device, pageSize, ranges);
    }

    @Override
    public void reportDirty(final long iova, final long length, final long pageSize, final long[] bitmapOut)
            throws DeviceException {
        DmaLogging.report(device, iova, length, pageSize, bitmapOut);
    }

    @Override
    public void stopDirtyLogging() throws DeviceException {
        DmaLogging.stop(device);
    }

    @Override
    public long checksum() throws DeviceException {
        throw new DeviceException(Errno.ENOTTY, "a kernel VFIO device has no state checksum");
    }

    @Override
    public synchronized void close() {
        if (stream != null) {
            stream.retire();
            stream = null;
        }
        device.close();
        onClose.run();
    }

    private MigrationState readState() throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(VfioLayouts.MIG_STATE);
            device.feature(Vfio.FEATURE_GET | Vfio.FEATURE_MIG_DEVICE_STATE, s, "MIG_DEVICE_STATE GET");
            final int v = s.get(ValueLayout.JAVA_INT, VfioLayouts.MIG_STATE_DEVICE_STATE);
            if (v < 0 || v >= MigrationState.COUNT) {
                throw new DeviceException(Errno.EPROTO, "MIG_DEVICE_STATE GET returned unknown state " + v);
            }
            return MigrationState.ofUapi(v);
        }
    }

    /** GET MIGRATION; ENOTTY (no {@code mig_ops}, §2.2) means the device cannot migrate at all. */
    private static long migrationFlags(final VfioDevice device) throws DeviceException {
        try {
            return get(device, Vfio.FEATURE_MIGRATION, "VFIO_DEVICE_FEATURE GET MIGRATION");
        } catch (final DeviceException e) {
            if (e.errno() == Errno.ENOTTY) {
                throw new DeviceException(Errno.ENOTTY, device.address().name() + " has no migration support (its "
                        + "driver answers VFIO_DEVICE_FEATURE MIGRATION with ENOTTY)", e);
            }
            throw e;
        }
    }

    private static long get(final VfioDevice device, final int feature, final String what) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(ValueLayout.JAVA_LONG);
            device.feature(Vfio.FEATURE_GET | feature, s, what);
            return s.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
