package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.protocol.Arc;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * A migratable device whose state is a large {@link PagedMemory} plus a small block of registers: implementing this
 * gives it pre-copy (round 1 sends every page, later rounds the pages dirtied since, stop-copy the rest and the
 * registers), MIG_DATA_SIZE, loads staged away from the device and installed on RESUMING→STOP, and a checksum. The
 * device still implements its registers, its regions, {@link #stop}/{@link #run} and {@link #reset}; it marks the
 * pages it writes itself (writes through {@link PagedMemory#write} and {@link PagedMemory#window} are marked for it).
 */
public interface PagedDevice extends MigratableDevice {

    /** {@return the device's memory} */
    PagedMemory memory();

    /** {@return bytes of {@link #saveRegisters()}, the same in every stream of this format version} */
    int registersSize();

    /** {@return the registers (everything that is not memory), {@link #registersSize()} bytes} */
    byte[] saveRegisters();

    /**
     * Validates and installs registers a stream brought; the staged memory is installed right after.
     *
     * @param registers {@link #registersSize()} bytes from position 0
     * @throws DeviceException EINVAL if they are invalid; nothing may be changed then
     */
    void loadRegisters(ByteBuffer registers) throws DeviceException;

    @Override
    default SaveSource startPreCopy(final Arc arc) {
        return memory().startSaving(this);
    }

    /** Stops the device first when pre-copy continues into STOP_COPY (as {@link #stop} would). */
    @Override
    default SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) throws DeviceException {
        if (preCopy.isPresent()) {
            stop(arc);
            return preCopy.get();
        }
        return memory().startSaving(this);
    }

    @Override
    default LoadSink startResuming(final Arc arc) throws DeviceException {
        return memory().startLoading(this);
    }

    @Override
    default long stopCopySize() {
        return memory().stopCopySize(registersSize());
    }

    @Override
    default long checksum() {
        return memory().checksum(saveRegisters());
    }
}
