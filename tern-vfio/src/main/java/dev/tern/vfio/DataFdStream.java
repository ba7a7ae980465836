package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.sys.Ioctl;
import dev.tern.sys.Posix;
import dev.tern.sys.PosixException;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * The migration data fd of one session (vfio-migration.md §2.8) as a {@link MigrationStream}. read(2) returning 0 is
 * the permanent end only in STOP_COPY; in PRE_COPY it means "nothing now" — the uAPI says ENOMSG there, mtty returns 0
 * (test-vm.md §3), both become 0 here. Calls in the wrong direction go to the kernel, so the driver's own errno is
 * what a caller sees. Once {@link #retire() retired} (its session ended) every call fails with ENODEV and the fd is
 * closed.
 */
final class DataFdStream implements MigrationStream {

    private final Fd fd;
    private final boolean saving;
    private final Supplier<MigrationState> state;
    private volatile boolean live = true;
    private boolean ended;

    /**
     * @param state the device's state as last read back or reached (tells STOP_COPY's end from PRE_COPY's pause)
     */
    DataFdStream(final Fd fd, final boolean saving, final Supplier<MigrationState> state) {
        this.fd = fd;
        this.saving = saving;
        this.state = state;
    }

    @Override
    public int read(final ByteBuffer dst) throws DeviceException {
        checkLive();
        if (ended) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            final int want = dst.remaining();
            final MemorySegment buf = arena.allocate(Math.max(1, want));
            final long n = Posix.read(fd.value(), buf, want);
            if (n == 0) {
                ended = state.get() == MigrationState.STOP_COPY;
                return ended ? -1 : 0;
            }
            dst.put(buf.asSlice(0, n).asByteBuffer());
            return (int) n;
        } catch (final PosixException e) {
            if (e.errno() == Errno.ENOMSG) {
                return 0;
            }
            throw Calls.failed("read of the migration data fd", e);
        }
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        checkLive();
        try (Arena arena = Arena.ofConfined()) {
            final int len = src.remaining();
            final MemorySegment buf = arena.allocate(Math.max(1, len));
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, buf, 0, len);
            long done = 0;
            while (done < len) {
                final long n = Posix.write(fd.value(), buf.asSlice(done), len - done);
                if (n == 0) {
                    throw new DeviceException(Errno.EIO, "the migration data fd accepted no bytes");
                }
                done += n;
            }
            src.position(src.limit());
        } catch (final PosixException e) {
            throw Calls.failed("write of the migration data fd", e);
        }
    }

    /** {@code VFIO_MIG_GET_PRECOPY_INFO} on this fd (§2.9): {initial_bytes, dirty_bytes, flags}. */
    long[] precopyInfo() throws DeviceException {
        checkLive();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = arena.allocate(VfioLayouts.PRECOPY_INFO);
            s.set(ValueLayout.JAVA_INT, 0, (int) s.byteSize());
            Ioctl.ioctl(fd.value(), Vfio.MIG_GET_PRECOPY_INFO, s);
            return new long[] {s.get(ValueLayout.JAVA_LONG, VfioLayouts.PRECOPY_INITIAL_BYTES),
                s.get(ValueLayout.JAVA_LONG, VfioLayouts.PRECOPY_DIRTY_BYTES),
                Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, VfioLayouts.PRECOPY_FLAGS))};
        } catch (final PosixException e) {
            throw Calls.failed("VFIO_MIG_GET_PRECOPY_INFO", e);
        }
    }

    @Override
    public boolean isSaving() {
        return saving;
    }

    @Override
    public boolean isLive() {
        return live;
    }

    /** Ends the stream: its session is over (the uAPI's fd is closed by us, per §2.7 "user must close it"). */
    void retire() {
        live = false;
        fd.close();
    }

    private void checkLive() throws DeviceException {
        if (!live) {
            throw new DeviceException(Errno.ENODEV, "the migration stream's session has ended");
        }
    }
}
