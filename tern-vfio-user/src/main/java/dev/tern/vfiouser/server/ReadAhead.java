package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.MigDataRead;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The MIG_DATA_READ buffer of a served device, which also reads the STOP_COPY stream one chunk ahead: once a full
 * reply has left, the next chunk is read from the device's stream while the client copies the reply out, instead
 * of after its next request arrives (the server's {@code pread} then overlaps the client's {@code recvmsg}).
 * <p>
 * What was read ahead is the stream's next bytes, served first and in order, in pieces as the requests ask (the
 * rest stays for the next one). It belongs to the stream it came from: a state change or reset that ends the data
 * session ends that stream, and its bytes are dropped as the session's unread data is dropped (vfio-migration.md
 * "data_fd": STOP_COPY → STOP closes the session). An error the stream raised while reading ahead is reported by
 * the first request that needs bytes beyond what was read before it, with those bytes dropped, as that request
 * would have failed without the read-ahead. It lives with the device, not the connection, so a client that
 * reconnects mid-session loses nothing (specification "Client Disconnection").
 * <p>
 * Layout: {@code [sent bytes][argsz, size: 8 B][data start..end)}. A reply is laid out in place: its {@code argsz}
 * and {@code size} overwrite the 8 bytes before its data (already sent), so serving and reading ahead copy nothing.
 * Used by one thread at a time (the thread handling the session's commands); a payload stays valid until the next
 * call.
 */
final class ReadAhead {
    private static final int FIELDS = MigDataRead.SIZE;

    private ByteBuffer buf = ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
    private int start = FIELDS;
    private int end = FIELDS;
    /** The stream the bytes in [start, end) and {@link #failure} came from; null when nothing is held. */
    private MigrationStream from;
    private DeviceException failure;

    /**
     * The reply payload of a MIG_DATA_READ of {@code size} bytes from {@code stream}: {@code argsz = 8 + n},
     * {@code size = n}, then n bytes (buffered ones first, then read from the stream until it has none now or
     * ends), zero-padded to {@code size}.
     *
     * @throws DeviceException what the stream raised (now, or while reading ahead, once the buffer cannot answer)
     */
    MemorySegment reply(final MigrationStream stream, final int size) throws DeviceException {
        if (from != stream) {
            drop();
        }
        if (failure != null && size > end - start) {
            final DeviceException e = failure;
            drop();
            throw e;
        }
        room(size);
        final int n;
        if (end - start >= size) {
            n = size;
        } else {
            try {
                fill(stream, start + size);
            } catch (final DeviceException | RuntimeException e) {
                drop(); // the request fails, and with it the bytes it had read (as without a read-ahead)
                throw e;
            }
            n = end - start;
        }
        final MemorySegment payload = MemorySegment.ofBuffer(buf.clear()).asSlice(start - FIELDS, FIELDS + size);
        payload.asSlice(FIELDS + n).fill((byte) 0); // the padding of a short (last) chunk
        buf.putInt(start - FIELDS, FIELDS + n).putInt(start - 4, n);
        start += n;
        from = stream;
        return payload;
    }

    /**
     * After a full reply in STOP_COPY (the payload of {@link #reply} has been sent): reads up to {@code size} more
     * bytes of {@code stream}, the client's next chunk. An error is kept for the request that needs those bytes.
     */
    void readAhead(final MigrationStream stream, final int size) {
        if (from != stream || failure != null) {
            return;
        }
        room(size);
        try {
            fill(stream, start + size);
        } catch (final DeviceException e) {
            failure = e;
        } catch (final RuntimeException e) {
            failure = new DeviceException(Errno.EIO, "reading the migration stream ahead failed: " + e, e);
        }
    }

    /** {@return how many bytes of {@code stream} are held, read but not yet sent} */
    int held(final MigrationStream stream) {
        return from == stream ? end - start : 0;
    }

    /** Reads from the stream into [end, limit) until full, or the stream has nothing now or ended. */
    private void fill(final MigrationStream stream, final int limit) throws DeviceException {
        from = stream;
        if (end >= limit) {
            return; // already held (a smaller request took only part of what was read ahead)
        }
        buf.limit(limit).position(end);
        try {
            while (buf.hasRemaining() && stream.read(buf) > 0) {
                // the engine may hand out less than asked at record boundaries
            }
        } finally {
            end = buf.position(); // what came before a failure is kept (read-ahead) or dropped (reply)
        }
    }

    /** Makes room for {@code size} bytes from {@code start} (and the 8 bytes before it), keeping what is held. */
    private void room(final int size) {
        final int held = end - start;
        if (held == 0) {
            start = FIELDS;
            end = FIELDS;
        }
        if (start + size <= buf.capacity()) {
            return;
        }
        final ByteBuffer to = FIELDS + size <= buf.capacity() ? buf
                : ByteBuffer.allocateDirect(FIELDS + size).order(ByteOrder.LITTLE_ENDIAN);
        if (held > 0) {
            MemorySegment.copy(MemorySegment.ofBuffer(buf.clear()), start, MemorySegment.ofBuffer(to.clear()), FIELDS,
                    held);
        }
        buf = to;
        start = FIELDS;
        end = FIELDS + held;
    }

    private void drop() {
        from = null;
        failure = null;
        start = FIELDS;
        end = FIELDS;
    }
}
