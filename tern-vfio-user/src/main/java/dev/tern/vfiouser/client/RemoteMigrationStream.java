package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.MigDataReadReply;
import java.nio.ByteBuffer;

/**
 * The migration data stream of a device behind a vfio-user socket: MIG_DATA_READ / MIG_DATA_WRITE in chunks no
 * larger than both sides' {@code max_data_xfer_size} (specification "VFIO_USER_MIG_DATA_READ/WRITE").
 * <p>
 * Reading: a reply shorter than requested means "no more data" (specification). In STOP_COPY that is the end of
 * the stream: the short chunk is returned, and -1 from then on. In PRE_COPY it means "nothing now": a zero-length
 * reply returns 0 and the caller polls again later (the uAPI's ENOMSG).
 * <p>
 * Like the SDK's streams, it is stale (ENODEV) once its session ended (state change out of the session, reset).
 */
final class RemoteMigrationStream implements MigrationStream {
    private final VfioUserMigrationTarget target;
    private final VfioUserClient client;
    private final boolean saving;
    private boolean ended;

    RemoteMigrationStream(final VfioUserMigrationTarget target, final VfioUserClient client, final boolean saving) {
        this.target = target;
        this.client = client;
        this.saving = saving;
    }

    @Override
    public int read(final ByteBuffer dst) throws DeviceException {
        checkLive();
        if (!saving) {
            throw new DeviceException(Errno.EINVAL, "read from a resuming stream");
        }
        if (ended) {
            return -1;
        }
        final int want = Math.min(dst.remaining(), client.maxMigrationChunk());
        if (want == 0) {
            return 0;
        }
        final MigDataReadReply r = client.migDataRead(want);
        final int n = r.size();
        if (n > want) {
            throw new DeviceException(Errno.EPROTO, "MIG_DATA_READ returned " + n + " bytes for " + want);
        }
        dst.put(r.data().asReadOnlyBuffer().limit(n));
        final boolean stopCopy = target.state() == MigrationState.STOP_COPY;
        if (stopCopy && n < want) {
            ended = true;
        }
        if (n == 0) {
            return stopCopy ? -1 : 0;
        }
        return n;
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        checkLive();
        if (saving) {
            throw new DeviceException(Errno.EINVAL, "write to a saving stream");
        }
        final int chunk = client.maxMigrationChunk();
        while (src.hasRemaining()) {
            final byte[] piece = new byte[Math.min(chunk, src.remaining())];
            src.get(piece);
            client.migDataWrite(Blob.wrap(piece));
        }
    }

    @Override
    public boolean isSaving() {
        return saving;
    }

    @Override
    public boolean isLive() {
        return target.isCurrent(this);
    }

    private void checkLive() throws DeviceException {
        if (!isLive()) {
            throw new DeviceException(Errno.ENODEV, "stale migration stream: its session ended (device now "
                    + target.state() + ")");
        }
    }
}
