package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The migration data stream of a device behind a vfio-user socket: MIG_DATA_READ / MIG_DATA_WRITE in chunks no
 * larger than both sides' {@code max_data_xfer_size} (specification "VFIO_USER_MIG_DATA_READ/WRITE").
 * <p>
 * Reading follows the specification: "if the size of the data is less than requested, there is no more data"
 * (vfio-user-interop.md L5).
 * <ul>
 * <li><b>PRE_COPY</b>: a reply shorter than requested completes the drain <i>for now</i>. Its bytes are returned,
 * and the next {@link #read} returns 0 without asking the server: that 0 is how a caller (the orchestrator's
 * pre-copy round, the kit's drain) knows the drain is complete for now.
 * The read after that asks the server again (the device may have produced more).</li>
 * <li><b>STOP_COPY</b>: only a reply of 0 bytes ends the stream (-1 from then on); a short but non-empty reply is
 * returned like any other, because a server's read callback may hand out less than asked before the end.</li>
 * </ul>
 * Request sizes come from a {@link ReadSizer}: the known remainder with the Tern extension, otherwise small and
 * doubling, since libvfio-user pads every reply to the size requested.
 * <p>
 * Like the SDK's streams, it is stale (ENODEV) once its session ended (state change out of the session, reset).
 */
final class RemoteMigrationStream implements MigrationStream {
    private final VfioUserMigrationTarget target;
    private final VfioUserClient client;
    private final boolean saving;
    private final ReadSizer sizer;
    private MigrationState sizedFor;
    private boolean drained;
    private boolean ended;

    RemoteMigrationStream(final VfioUserMigrationTarget target, final VfioUserClient client, final boolean saving) {
        this.target = target;
        this.client = client;
        this.saving = saving;
        this.sizer = new ReadSizer(client.maxMigrationChunk());
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
        final MigrationState state = target.state();
        final boolean stopCopy = state == MigrationState.STOP_COPY;
        if (drained && !stopCopy) {
            drained = false;
            sizedFor = null;
            return 0;
        }
        drained = false;
        return dst.remaining() == 0 ? 0 : fetch(dst, state, stopCopy);
    }

    /** One MIG_DATA_READ of the size the sizer chooses; its data into {@code dst}. */
    private int fetch(final ByteBuffer dst, final MigrationState state, final boolean stopCopy)
            throws DeviceException {
        if (state != sizedFor) {
            sizer.expect(remainder(state));
            sizedFor = state;
        }
        final int want = sizer.size(Math.min(dst.remaining(), client.maxMigrationChunk()));
        final int n = client.migDataRead(want, dst);
        sizer.replied(want, n);
        if (n == 0) {
            ended = stopCopy;
            sizedFor = null;
            return stopCopy ? -1 : 0;
        }
        drained = n < want && !stopCopy;
        return n;
    }

    /** @return what the device says remains in {@code state}, or -1 where it cannot say (plain vfio-user) */
    private long remainder(final MigrationState state) throws DeviceException {
        final TargetCapabilities caps = target.capabilities();
        if (state == MigrationState.STOP_COPY) {
            return caps.stopCopySize() ? target.stopCopySize() : -1;
        }
        if (caps.precopyInfo()) {
            final PrecopyInfo p = target.precopyInfoKeepingReinit();
            return p.initialBytes() + p.dirtyBytes();
        }
        return -1;
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        checkLive();
        if (saving) {
            throw new DeviceException(Errno.EINVAL, "write to a saving stream");
        }
        final int chunk = client.maxMigrationChunk();
        final MemorySegment all = MemorySegment.ofBuffer(src);
        for (long done = 0; done < all.byteSize();) {
            final long n = Math.min(chunk, all.byteSize() - done);
            client.migDataWrite(all.asSlice(done, n));
            done += n;
            src.position(src.position() + (int) n);
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
