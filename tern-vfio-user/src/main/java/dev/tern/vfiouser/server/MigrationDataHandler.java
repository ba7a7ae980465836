package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.Gather;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Command;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataWrite;
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
 * it has the requested size, the stream ends (-1) or has nothing now (0). The reply is zero-padded to the requested
 * size with {@code argsz = 8 + n}, {@code size = n}, as libvfio-user sends it (its client code treats a shorter reply
 * than the buffer it posted as ECONNRESET). Zero copy: the stream hands out views of the device's memory
 * ({@link MigrationStream#read(Gather, int)}), the padding comes from the shared zero mapping, and the reply leaves
 * as one gather {@code sendmsg} of [header, argsz, size][views][padding] ({@link Outcome.Direct}); the kernel's copy
 * into the socket is the only one. The views are valid until the next call on the stream: the reply is sent before
 * the session's next command is handled. Nothing is held between requests (the bytes of a request that failed, or
 * whose reply could not be sent, are lost with it, as the kernel's {@code read} of a {@code data_fd} loses them), so
 * a client that reconnects mid-session continues where the stream is (specification "Client Disconnection").
 * {@code size} above the client's {@code max_data_xfer_size} is EINVAL.
 * <p>
 * WRITE (RESUMING only): the whole chunk is appended, or the device's errno comes back.
 */
final class MigrationDataHandler {
    private static final Ack ACK = new Ack(Command.MIG_DATA_WRITE);
    private final ServedDevice served;
    private final long clientMaxDataXfer;
    /** The reply's pieces and its {@code argsz}, {@code size} fields, reused: a reply allocates nothing. */
    private final Gather gather = new Gather();
    private final ByteBuffer fields = ByteBuffer.allocate(MigDataRead.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Outcome.Direct reply = new Outcome.Direct(Command.MIG_DATA_READ, fields, gather.vector());

    MigrationDataHandler(final ServedDevice served, final long clientMaxDataXfer) {
        this.served = served;
        this.clientMaxDataXfer = clientMaxDataXfer;
    }

    Outcome read(final MigDataRead r) throws DeviceException {
        return read(r.size());
    }

    /**
     * @param rawSize the request's u32 {@code size}, raw bits (from a decoded record or read in place)
     * @return the reused {@link Outcome.Direct} reply, valid until the next call, or the failure
     */
    Outcome read(final int rawSize) throws DeviceException {
        final long size = Integer.toUnsignedLong(rawSize);
        if (size > clientMaxDataXfer) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_READ: size " + size + " exceeds the client's"
                    + " max_data_xfer_size " + clientMaxDataXfer);
        }
        final MigrationState state = served.engine().state();
        final MigrationStream s = served.liveStream();
        if (!state.isSaving() || s == null || !s.isSaving()) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_READ in " + state + ": only in PRE_COPY or STOP_COPY");
        }
        gather.clear();
        gather.vector().reserve(); // the header and fields, written by the channel
        final int n = gatherUpTo(s, (int) size);
        gather.addZeros(size - n);
        fields.clear().putInt(0, MigDataRead.SIZE + n).putInt(4, n);
        return reply;
    }

    /** Gathers up to {@code size} stream bytes: until full, or the stream has nothing now (0) or ended (-1). */
    private int gatherUpTo(final MigrationStream stream, final int size) throws DeviceException {
        int n = 0;
        while (n < size) {
            final int k = stream.read(gather, size - n);
            if (k <= 0) {
                break;
            }
            n += k;
        }
        return n;
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
