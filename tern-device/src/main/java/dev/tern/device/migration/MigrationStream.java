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
     * Hands out the next stream bytes as views appended to {@code out} instead of copying them: the same bytes and
     * results as {@link #read(ByteBuffer)} with {@code max} bytes of room (less than asked at record boundaries, so
     * a caller that wants {@code max} calls again), for a caller that sends them with one gather {@code sendmsg}.
     *
     * <p><b>How long a view is valid</b>: until the next call on this stream or the next state change of its
     * device (both serialized with this call); send {@code out} before either. A view may point into the device's
     * live memory: in STOP_COPY the device is stopped, so what is sent is exactly the final state. In PRE_COPY the
     * device runs and may write a page while the kernel copies it from the view: the source clears the page's dirty
     * bit <em>before</em> it hands out the view, so such a write (which marks the page after writing it) leaves the
     * page dirty, and a later read (at the latest the STOP_COPY one) sends it again; the destination keeps the last
     * copy, so a torn page in flight is always superseded. Ranges the device never wrote may come from a shared
     * zero mapping instead of its memory.
     *
     * @param out receives the views (its pieces so far are kept)
     * @param max bytes at most, at least 1
     * @return bytes appended, or 0 / -1 as {@link #read(ByteBuffer)}
     * @throws DeviceException EINVAL on a resuming stream, ENODEV once stale
     */
    default int read(final Gather out, final int max) throws DeviceException {
        final int n = read(out.scratch(max));
        if (n > 0) {
            out.commit(n);
        }
        return n;
    }

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
