package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import java.nio.ByteBuffer;

/**
 * The migration data stream of one session (the uAPI's {@code data_fd}, spec §2.8): read in the saving states,
 * written in RESUMING.
 *
 * <p>A stream belongs to the session that opened it. Once the device leaves that session (the saving group or
 * RESUMING) or is reset, every call fails with ENODEV; calls in the wrong direction fail with EINVAL.
 */
public interface MigrationStream {

    /**
     * Reads the next stream bytes into {@code dst}.
     *
     * @param dst receives the bytes, from its position
     * @return bytes read; 0 = no data right now (PRE_COPY: the kernel's ENOMSG, poll again later; over vfio-user
     *         the 0 follows the reply shorter than requested that completed the drain); -1 = end of stream
     *         (STOP_COPY: all state transferred, permanently)
     * @throws DeviceException EINVAL on a resuming stream, ENODEV once stale
     */
    int read(ByteBuffer dst) throws DeviceException;

    /**
     * Appends all remaining bytes of {@code src} to the state being loaded; validation completes on RESUMING→STOP.
     *
     * @param src the bytes, from position to limit, consumed
     * @throws DeviceException EINVAL on a saving stream or for data the device rejects, ENODEV once stale
     */
    void write(ByteBuffer src) throws DeviceException;

    /** {@return true for a saving stream, false for a resuming one} */
    boolean isSaving();

    /** {@return true while the session that opened the stream lasts} */
    boolean isLive();
}
