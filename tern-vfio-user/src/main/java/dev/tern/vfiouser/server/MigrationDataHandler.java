package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Errno;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataReadReply;
import dev.tern.vfiouser.codec.MigDataWrite;
import java.nio.ByteBuffer;
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
 * than the buffer it posted as ECONNRESET). {@code size} above the client's {@code max_data_xfer_size} is EINVAL.
 * <p>
 * WRITE (RESUMING only): the whole chunk is appended, or the device's errno comes back.
 */
final class MigrationDataHandler {
    private final ServedDevice served;
    private final long clientMaxDataXfer;

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
        final byte[] bytes = new byte[(int) size];
        final ByteBuffer dst = ByteBuffer.wrap(bytes);
        while (dst.hasRemaining()) {
            if (s.get().read(dst) <= 0) {
                break;
            }
        }
        final int n = dst.position();
        return Outcome.ok(new MigDataReadReply(MigDataRead.SIZE + n, n, Blob.wrap(bytes)));
    }

    Outcome write(final MigDataWrite w) throws DeviceException {
        final MigrationState state = served.engine().state();
        final Optional<MigrationStream> s = served.stream();
        if (state != MigrationState.RESUMING || s.isEmpty() || s.get().isSaving()) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_WRITE in " + state + ": only in RESUMING");
        }
        s.get().write(w.data().asReadOnlyBuffer());
        return Outcome.ok(new Ack(Command.MIG_DATA_WRITE));
    }
}
