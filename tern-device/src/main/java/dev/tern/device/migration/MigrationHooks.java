package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.util.Optional;

/**
 * What a device author implements to migrate: one hook per kind of arc the uAPI defines (spec §2.4), plus the state
 * bytes. The {@link MigrationEngine} owns the state, walks combination transitions and calls exactly one hook per
 * arc; a hook that throws puts the device in ERROR.
 *
 * <p>The engine closes the device's {@code DeviceGate} after a quiescing hook returns and opens it before a resuming
 * hook runs, so hooks only have to quiesce their own threads (finish in-flight DMA, park or join workers).
 */
public interface MigrationHooks {

    /** {@return the optional features the device supports (STOP_COPY is mandatory)} */
    MigrationFlags migrationFlags();

    /** {@return the device kind written into every stream (a destination of another kind rejects it)} */
    String kind();

    /** {@return the version of the device's state format this build writes} */
    int formatVersion();

    /**
     * {@return true if this build can load state of {@code version} (by default only its own)}
     *
     * @param version the format version a source's stream header names
     */
    default boolean acceptsFormatVersion(final int version) {
        return version == formatVersion();
    }

    /**
     * RUNNING→STOP, RUNNING_P2P→STOP: stop all activity (DMA, interrupts, workers) and freeze the state.
     *
     * @param arc the arc taken, for devices that tell the two apart
     * @throws DeviceException if the device cannot stop; the engine puts it in ERROR
     */
    void stop(Arc arc) throws DeviceException;

    /**
     * STOP→RUNNING, STOP→RUNNING_P2P: resume operation (with P2P DMA quiesced if {@code arc.to()} says so).
     *
     * @param arc the arc taken; {@code arc.to()} says whether P2P stays quiesced
     * @throws DeviceException if the device cannot resume; the engine puts it in ERROR
     */
    void run(Arc arc) throws DeviceException;

    /**
     * RUNNING→RUNNING_P2P, PRE_COPY→PRE_COPY_P2P: stop initiating peer-to-peer DMA and finish outstanding P2P DMA
     * before returning. The default suits a device that initiates no P2P DMA.
     *
     * @param arc the arc taken
     * @throws DeviceException if outstanding P2P DMA cannot be finished; the engine puts the device in ERROR
     */
    default void quiesceP2p(final Arc arc) throws DeviceException {
    }

    /**
     * RUNNING_P2P→RUNNING, PRE_COPY_P2P→PRE_COPY: resume initiating peer-to-peer DMA.
     *
     * @param arc the arc taken
     * @throws DeviceException if P2P DMA cannot resume; the engine puts the device in ERROR
     */
    default void unquiesceP2p(final Arc arc) throws DeviceException {
    }

    /**
     * RUNNING→PRE_COPY, RUNNING_P2P→PRE_COPY_P2P: start tracking changes and return the source of the new saving
     * session. Only called when {@link #migrationFlags()} has PRE_COPY.
     *
     * @param arc the arc taken
     * @return the source of the saving session's bytes (after the engine's header)
     * @throws DeviceException if tracking cannot start (by default ENOTTY: no pre-copy)
     */
    default SaveSource startPreCopy(final Arc arc) throws DeviceException {
        throw new DeviceException(Errno.ENOTTY, kind() + " does not support pre-copy");
    }

    /**
     * PRE_COPY→RUNNING, PRE_COPY_P2P→RUNNING_P2P: stop tracking; the saving session ends.
     *
     * @param arc the arc taken
     * @param source the session's source, to release
     * @throws DeviceException if tracking cannot stop; the engine puts the device in ERROR
     */
    default void endPreCopy(final Arc arc, final SaveSource source) throws DeviceException {
    }

    /**
     * STOP→STOP_COPY (no session yet: {@code preCopy} empty) or PRE_COPY*→STOP_COPY (the pre-copy session
     * continues: the device must first stop, as in {@link #stop}). Returns the source for the rest of the session.
     *
     * @param arc the arc taken
     * @param preCopy the pre-copy session's source when the session continues, else empty
     * @return the source of the rest of the session (may be {@code preCopy}'s)
     * @throws DeviceException if the state cannot be captured; the engine puts the device in ERROR
     */
    SaveSource startStopCopy(Arc arc, Optional<SaveSource> preCopy) throws DeviceException;

    /**
     * STOP_COPY→STOP: the saving session ends; the device stays stopped.
     *
     * @param arc the arc taken
     * @param source the session's source, to release
     * @throws DeviceException on failure; the engine puts the device in ERROR
     */
    default void endStopCopy(final Arc arc, final SaveSource source) throws DeviceException {
    }

    /**
     * STOP→RESUMING: return the sink that stages incoming state.
     *
     * @param arc the arc taken
     * @return the sink for the session's bytes (after the engine's header)
     * @throws DeviceException if no session can be opened; the engine puts the device in ERROR
     */
    LoadSink startResuming(Arc arc) throws DeviceException;

    /**
     * RESUMING→STOP: validate and install the staged state; by default {@link LoadSink#apply()}.
     *
     * @param arc the arc taken
     * @param sink the session's sink holding the staged state
     * @throws DeviceException EINVAL (or another errno) if the state is invalid; the device must be left unchanged
     */
    default void endResuming(final Arc arc, final LoadSink sink) throws DeviceException {
        sink.apply();
    }

    /** {@return estimated bytes a STOP_COPY session would still produce now ({@code MIG_DATA_SIZE}, spec §2.10)} */
    long stopCopySize();

    /** {@return a checksum of the whole migratable state, equal on source and destination after a migration} */
    long checksum();

    /**
     * VFIO_DEVICE_RESET: back to power-on registers, operating (RUNNING).
     *
     * @throws DeviceException if the device cannot reset
     */
    void reset() throws DeviceException;
}
