package dev.tern.vfiouser.server;

import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import java.util.Objects;
import java.util.Optional;

/**
 * The device a server hosts and what outlives a client connection: its migration engine and the migration stream
 * of the current data session. Specification "Client Disconnection": on disconnect "the device state should
 * otherwise be retained", so a client that reconnects mid-migration continues the same session (libvfio-user does
 * the same since #844). Only the thread serving the current client touches the stream.
 */
public final class ServedDevice implements AutoCloseable {
    private final MigratableDevice device;
    private final MigrationEngine engine;
    private MigrationStream stream;

    /**
     * A device as the server hosts it, with its own migration engine.
     *
     * @param device the device; the served device owns it and closes it
     */
    public ServedDevice(final MigratableDevice device) {
        this.device = Objects.requireNonNull(device, "device");
        this.engine = MigrationEngine.of(device);
    }

    /** {@return the device} */
    public MigratableDevice device() {
        return device;
    }

    /** {@return its migration engine: every state change and reset goes through it} */
    public MigrationEngine engine() {
        return engine;
    }

    /** {@return the stream the last state change opened, if it is still live} */
    public Optional<MigrationStream> stream() {
        return Optional.ofNullable(liveStream());
    }

    /** {@return the stream the last state change opened if it is still live, else null (no Optional per call)} */
    MigrationStream liveStream() {
        final MigrationStream s = stream;
        return s != null && s.isLive() ? s : null;
    }

    /** @param opened the stream a state change opened */
    void stream(final MigrationStream opened) {
        stream = opened;
    }

    /** Closes the engine and with it the device. */
    @Override
    public void close() {
        engine.close();
    }
}
