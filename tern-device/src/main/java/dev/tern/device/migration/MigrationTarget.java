package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import java.util.List;

/**
 * Anything that migrates the way a VFIO device does: the in-process {@link MigrationEngine}, a vfio-user device
 * through its client, a kernel VFIO device through its fd. The conformance kit, the vfio-user server and client and
 * the orchestrator all drive this interface.
 *
 * <p>Method ↔ uAPI: {@link #flags()} = {@code VFIO_DEVICE_FEATURE_MIGRATION}; {@link #state()} /
 * {@link #setState} = {@code MIG_DEVICE_STATE} GET/SET; {@link #precopyInfo()} = {@code VFIO_MIG_GET_PRECOPY_INFO};
 * {@link #stopCopySize()} = {@code MIG_DATA_SIZE}; {@link #reset()} = {@code VFIO_DEVICE_RESET}; dirty logging =
 * {@code DMA_LOGGING_START/REPORT/STOP}.
 */
public interface MigrationTarget extends AutoCloseable {

    /** {@return the device kind (stream compatibility)} */
    String kind();

    /** {@return the device's state format version (stream compatibility)} */
    int formatVersion();

    /** {@return the migration capability flags} */
    MigrationFlags flags();

    /**
     * {@return which optional calls this target really answers; a caller checks before relying on one (the others
     * fail with ENOTTY)}
     */
    TargetCapabilities capabilities();

    /** {@return the current state} */
    MigrationState state();

    /**
     * Moves the device to {@code target}, one arc at a time.
     *
     * @param target the state requested
     * @return the state reached and the stream the final arc opened, if any
     * @throws MigrationException EINVAL for a refused request (state unchanged); the hook's errno for a failed arc
     *         (state ERROR), {@link MigrationException#state()} telling where the device is
     * @throws DeviceException for a transport failure (remote targets)
     */
    StateChange setState(MigrationState target) throws DeviceException;

    /**
     * {@return pre-copy progress}
     *
     * @throws DeviceException EINVAL outside PRE_COPY and PRE_COPY_P2P
     */
    PrecopyInfo precopyInfo() throws DeviceException;

    /**
     * {@return estimated bytes to complete STOP_COPY from now; valid in any state}
     *
     * @throws DeviceException for a transport failure
     */
    long stopCopySize() throws DeviceException;

    /**
     * Resets the device and brings it to RUNNING; any open stream is stale afterwards. Where a reset does not
     * return the migration state to RUNNING (vfio-user: libvfio-user keeps it, and refuses the reset in STOP and
     * STOP_COPY, vfio-user-interop.md L2), the target walks the FSM to RUNNING itself.
     * <p>
     * Contract: on return the device is RUNNING <i>as read back</i> from it; otherwise a {@link DeviceException}
     * names the state observed afterwards (never one that was assumed).
     *
     * @throws DeviceException if the device is not RUNNING afterwards, stating the state read back
     */
    void reset() throws DeviceException;

    /**
     * Starts dirty logging of device DMA writes.
     *
     * @param pageSize the tracking granule asked for (a power of two; the target may choose a larger one)
     * @param ranges the IOVA ranges to track; the uAPI requires at least one (over vfio-user none means every write)
     * @return the page size chosen
     * @throws DeviceException per the uAPI errno table (see {@code DirtyLog})
     */
    long startDirtyLogging(long pageSize, List<DmaRange> ranges) throws DeviceException;

    /**
     * Reports and clears dirty pages of {@code [iova, iova + length)} into {@code bitmapOut} (bits only set).
     *
     * @param iova the start of the range
     * @param length the range's length
     * @param pageSize the granule of one bit, as chosen by {@link #startDirtyLogging}
     * @param bitmapOut receives one bit per page, bit {@code i} for page {@code iova + i * pageSize}
     * @throws DeviceException per the uAPI errno table
     */
    void reportDirty(long iova, long length, long pageSize, long[] bitmapOut) throws DeviceException;

    /**
     * Stops dirty logging.
     *
     * @throws DeviceException for a transport failure
     */
    void stopDirtyLogging() throws DeviceException;

    /**
     * {@return a checksum of the whole device state, for verifying migrations}
     *
     * @throws DeviceException for a transport failure
     */
    long checksum() throws DeviceException;

    /** Releases the target (device threads, memory, connections). */
    @Override
    void close();
}
