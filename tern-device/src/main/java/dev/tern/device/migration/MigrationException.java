package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.protocol.MigrationState;

/**
 * A refused or failed state request, saying where the device ended up (uAPI, spec §2.7: after a failed SET the
 * device may be in the original state, any state along the path, or ERROR).
 */
public final class MigrationException extends DeviceException {

    /** The device's state after the failure. */
    private final MigrationState state;

    /**
     * A failed state request, with the state the device is in afterwards (the uAPI lets a failed arc leave the device
     * in ERROR).
     *
     * @param errno the errno to report
     * @param message what happened
     * @param state the device's state after the failure
     * @param cause the hook's exception, or {@code null}
     */
    public MigrationException(final int errno, final String message, final MigrationState state,
            final Throwable cause) {
        super(errno, message, cause);
        this.state = state;
    }

    /** {@return the device's state after the failure} */
    public MigrationState state() {
        return state;
    }
}
