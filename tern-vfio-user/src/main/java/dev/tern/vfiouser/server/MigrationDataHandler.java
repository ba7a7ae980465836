package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Command;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataWrite;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * MIG_DATA_READ and MIG_DATA_WRITE (specification "VFIO_USER_MIG_DATA_READ/WRITE", vfio-user.md §2.3) over the
 * stream of the device's current data session.
 * <p>
 * READ (PRE_COPY, PRE_COPY_P2P or STOP_COPY only): the reply is filled as far as the stream has data, because a
 * reply shorter than requested means "no more data" to the client: in STOP_COPY the end of the stream, in
 * pre-copy "nothing now". The engine may hand out less than asked at record boundaries, so the handler reads until
 * the buffer is full, the stream ends (-1) or has nothing now (0). The reply is zero-padded to the requested size
 * with {@code argsz = 8 + n}, {@code size = n}, as libvfio-user sends it (its client code treats a shorter reply
 * than the buffer it posted as ECONNRESET). The stream is read straight into one reusable direct buffer that becomes
 * the reply payload ({@link Outcome.Direct}): no Java copy between the device's stream and the socket.
 * {@code size} above the client's {@code max_data_xfer_size} is EINVAL.
 * <p>
 * WRITE (RESUMING only): the whole chunk is appended, or the device's errno comes back.
 */
final class MigrationDataHandler {
    private static final Ack ACK = new Ack(Command.MIG_DATA_WRITE);
    private final ServedDevice served;
    private final long clientMaxDataXfer;
    private ByteBuffer replyBuffer = ByteBuffer.allocateDirect(0);

    MigrationDataHandler(final ServedDevice served, final long clientMaxDataXfer) {
        this.served = served;
        this.clientMaxDataXfer = clientMaxDataXfer;
    }

    Outcome read(final MigDataRead r) throws DeviceException {
        final long size = Integer.toUnsignedLong(r.size());
        if (size > clientMaxDataXfer) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_READ: size " + size + " exceeds the client's"
                    + " max_data_xfer_size " + clientMaxDataXfer);
        }
        final MigrationState state = served.engine().state();
        final Optional<MigrationStream> s = served.stream();
        if (!state.isSaving() || s.isEmpty() || !s.get().isSaving()) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_READ in " + state + ": only in PRE_COPY or STOP_COPY");
        }
        final ByteBuffer reply = replyBuffer(MigDataRead.SIZE + (int) size);
        reply.position(MigDataRead.SIZE);
        while (reply.hasRemaining()) {
            if (s.get().read(reply) <= 0) {
                break;
            }
        }
        final int n = reply.position() - MigDataRead.SIZE;
        final MemorySegment payload = MemorySegment.ofBuffer(reply.clear()).asSlice(0, MigDataRead.SIZE + size);
        payload.asSlice(MigDataRead.SIZE + n).fill((byte) 0); // the padding of a short (last) chunk
        reply.putInt(0, MigDataRead.SIZE + n).putInt(4, n);
        return new Outcome.Direct(Command.MIG_DATA_READ, payload);
    }

    /**
     * @return the reusable reply buffer (argsz, size, data), limited to {@code bytes}; commands of a session are
     *         handled one at a time, and the reply is sent before the next one is handled
     */
    private ByteBuffer replyBuffer(final int bytes) {
        if (replyBuffer.capacity() < bytes) {
            replyBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        return replyBuffer.clear().limit(bytes);
    }

    Outcome write(final MigDataWrite w) throws DeviceException {
        return write(w.data().asReadOnlyBuffer());
    }

    /** @param data the chunk (position to limit), from a decoded command or straight from the receive buffer */
    Outcome write(final ByteBuffer data) throws DeviceException {
        final MigrationState state = served.engine().state();
        final Optional<MigrationStream> s = served.stream();
        if (state != MigrationState.RESUMING || s.isEmpty() || s.get().isSaving()) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_WRITE in " + state + ": only in RESUMING");
        }
        s.get().write(data);
        return Outcome.ok(ACK);
    }
}
