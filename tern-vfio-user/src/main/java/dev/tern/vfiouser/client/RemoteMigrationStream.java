package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p>
 * Pipelining (the data path of a two-process stop-copy): in STOP_COPY, after a full reply the next MIG_DATA_READ is
 * sent before {@link #read} returns, so the server reads the device's next chunk while the caller forwards this one
 * (one read ahead at most; none after a short or empty reply, the end of the stream). A {@link #write} sends its
 * MIG_DATA_WRITEs without waiting for their replies, up to {@value #WRITE_WINDOW} in flight; a refused one is
 * reported by the next write, or by {@link #finishWrites} at the end of the stream (the target's next state
 * change). The server handles them one at a time in order and answers in order (specification "Command
 * Concurrency"), so no chunk overtakes another.
 * <p>
 * Like the SDK's streams, it is stale (ENODEV) once its session ended (state change out of the session, reset).
 */
final class RemoteMigrationStream implements MigrationStream {
    /** The most MIG_DATA_WRITEs in flight: enough to keep the server busy while the next chunk arrives. */
    static final int WRITE_WINDOW = 4;

    private final VfioUserMigrationTarget target;
    private final VfioUserClient client;
    private final boolean saving;
    private final ReadSizer sizer;
    private MigrationState sizedFor;
    private boolean drained;
    private boolean ended;
    /** The MIG_DATA_READ sent ahead (STOP_COPY), taken by the next read or dropped by {@link #abandon}. */
    private final AtomicReference<Ahead> ahead = new AtomicReference<>();
    /** Data of a read-ahead reply the caller's next buffer could not take, handed out first. */
    private ByteBuffer spill;
    /** MIG_DATA_WRITEs in flight, oldest first; guarded by {@link #writing}. */
    private final ArrayDeque<ClientConnection.InFlight> writes = new ArrayDeque<>();
    /** Never held while taking the target's lock (the target takes it inside its own: lock order target → this). */
    private final ReentrantLock writing = new ReentrantLock();

    /** A MIG_DATA_READ sent ahead and the size it asked for. */
    private record Ahead(ClientConnection.InFlight command, int size) {
    }

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
        if (spill != null) {
            return fromSpill(dst);
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
        final int room = Math.min(dst.remaining(), client.maxMigrationChunk());
        final Ahead a = ahead.getAndSet(null);
        final int want = a != null ? a.size() : sizer.size(room);
        final int n = a != null ? finishAhead(a, dst) : client.migDataRead(want, dst);
        sizer.replied(want, n);
        if (n == 0) {
            ended = stopCopy;
            sizedFor = null;
            return stopCopy ? -1 : 0;
        }
        drained = n < want && !stopCopy;
        if (stopCopy && n == want) {
            final int next = sizer.size(room);
            ahead.set(new Ahead(client.startMigDataRead(next), next));
        }
        return spill == null ? n : n - spill.remaining();
    }

    /**
     * The reply of the read sent ahead into {@code dst}; if the caller's buffer shrank below what was asked, the
     * reply goes into {@link #spill} and {@code dst} gets what it takes.
     *
     * @return the reply's data size
     */
    private int finishAhead(final Ahead a, final ByteBuffer dst) throws DeviceException {
        if (a.size() <= dst.remaining()) {
            return client.finishMigDataRead(a.command(), a.size(), dst);
        }
        final ByteBuffer s = ByteBuffer.allocate(a.size());
        final int n = client.finishMigDataRead(a.command(), a.size(), s);
        spill = s.flip();
        fromSpill(dst);
        return n;
    }

    private int fromSpill(final ByteBuffer dst) {
        final int n = Math.min(dst.remaining(), spill.remaining());
        dst.put(dst.position(), spill, spill.position(), n).position(dst.position() + n);
        spill.position(spill.position() + n);
        if (!spill.hasRemaining()) {
            spill = null;
        }
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
        writing.lock();
        try {
            for (long done = 0; done < all.byteSize();) {
                if (writes.size() >= WRITE_WINDOW) {
                    finishOldest();
                }
                final long n = Math.min(chunk, all.byteSize() - done);
                writes.add(client.startMigDataWrite(all.asSlice(done, n)));
                done += n;
                src.position(src.position() + (int) n);
            }
        } finally {
            writing.unlock();
        }
    }

    /**
     * Waits for every MIG_DATA_WRITE in flight: the end of the written stream (the target calls this before it
     * changes the device's state, so the device never leaves RESUMING with a chunk unacknowledged).
     *
     * @throws DeviceException the errno of the first refused write not yet reported, or ETIMEDOUT / EIO
     */
    void finishWrites() throws DeviceException {
        writing.lock();
        try {
            while (!writes.isEmpty()) {
                finishOldest();
            }
        } finally {
            writing.unlock();
        }
    }

    /** Waits for the oldest write in flight; if it failed, the later ones are dropped (their replies ignored). */
    private void finishOldest() throws DeviceException {
        try {
            client.finishMigDataWrite(writes.poll());
        } catch (final DeviceException e) {
            writes.forEach(client::discard);
            writes.clear();
            throw new DeviceException(e.errno(), "an earlier chunk of this stream failed: " + e.getMessage(), e);
        }
    }

    /** Drops whatever is in flight without waiting (the session ended: reset, disconnect). */
    void abandon() {
        final Ahead a = ahead.getAndSet(null);
        if (a != null) {
            client.discard(a.command());
        }
        writing.lock();
        try {
            writes.forEach(client::discard);
            writes.clear();
        } finally {
            writing.unlock();
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
