package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.ForwardingTarget;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process device as a plain vfio-user server (libvfio-user, vfio-user-interop.md L2/L4) presents it: no
 * PRECOPY_INFO, no MIG_DATA_SIZE, a checksum only if asked for, and a reset that does not reach RUNNING where
 * libvfio-user's DEVICE_RESET keeps the migration state (refused in STOP and STOP_COPY, RESUMING kept). Unlike the
 * real client target, which walks the FSM afterwards, this one stops there and reports the state it left, as the
 * {@link MigrationTarget#reset()} contract requires of a target that could not reach RUNNING; the orchestrator
 * must cope with exactly that.
 */
final class PlainVfioUserTarget extends ForwardingTarget {
    private final boolean checksum;
    private final boolean dirtyLogging;
    /** Calls to the optional queries this target does not offer (each fails with ENOTTY). */
    final AtomicInteger unofferedCalls = new AtomicInteger();

    PlainVfioUserTarget(final MigrationTarget inner, final boolean checksum) {
        this(inner, checksum, true);
    }

    /**
     * @param dirtyLogging false: DMA logging declared unavailable, START accepted but REPORT refused with EOPNOTSUPP
     *        (what Debian 6.12's kernel does for mtty, test-vm.md §3)
     */
    PlainVfioUserTarget(final MigrationTarget inner, final boolean checksum, final boolean dirtyLogging) {
        super(inner);
        this.checksum = checksum;
        this.dirtyLogging = dirtyLogging;
    }

    @Override
    public TargetCapabilities capabilities() {
        return new TargetCapabilities(false, false, checksum, dirtyLogging);
    }

    @Override
    public PrecopyInfo precopyInfo() throws DeviceException {
        unofferedCalls.incrementAndGet();
        throw new DeviceException(Errno.ENOTTY, "no PRECOPY_INFO in vfio-user");
    }

    @Override
    public long stopCopySize() throws DeviceException {
        unofferedCalls.incrementAndGet();
        throw new DeviceException(Errno.ENOTTY, "no MIG_DATA_SIZE in vfio-user");
    }

    @Override
    public long checksum() throws DeviceException {
        if (!checksum) {
            unofferedCalls.incrementAndGet();
            throw new DeviceException(Errno.ENOTTY, "no Tern CHECKSUM");
        }
        return inner.checksum();
    }

    @Override
    public void reset() throws DeviceException {
        final MigrationState s = inner.state();
        if (s == MigrationState.STOP || s == MigrationState.STOP_COPY) {
            throw new DeviceException(Errno.EINVAL, "DEVICE_RESET refused in " + s);
        }
        if (s == MigrationState.RESUMING) {
            throw new DeviceException(Errno.EIO, "reset kept the device in RESUMING");
        }
        inner.reset();
    }

    @Override
    public void reportDirty(final long iova, final long length, final long pageSize, final long[] bitmapOut)
            throws DeviceException {
        if (!dirtyLogging) {
            unofferedCalls.incrementAndGet();
            throw new DeviceException(Errno.EOPNOTSUPP, "DMA_LOGGING_REPORT: logging unavailable");
        }
        inner.reportDirty(iova, length, pageSize, bitmapOut);
    }
}
