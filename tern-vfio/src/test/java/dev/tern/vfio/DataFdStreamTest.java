package dev.tern.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.sys.Layouts;
import dev.tern.sys.Posix;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The data-fd rules of §2.8 on a real fd (a pipe whose write end plays the driver): read(2) of 0 is the end only in
 * STOP_COPY, a pause in PRE_COPY (mtty's 0 instead of ENOMSG, test-vm.md §3); a retired stream is ENODEV.
 */
class DataFdStreamTest {

    @Test
    void zeroIsAPauseInPreCopyAndThePermanentEndInStopCopy() throws Exception {
        final int[] p = Posix.pipe2(Layouts.O_CLOEXEC);
        final AtomicReference<MigrationState> state = new AtomicReference<>(MigrationState.PRE_COPY);
        final DataFdStream s = new DataFdStream(new Fd(p[0]), true, state::get);
        try (Fd w = new Fd(p[1])) {
            w.writeFully(new byte[] {1, 2, 3}, 0, 3);
        }
        final ByteBuffer dst = ByteBuffer.allocate(16);
        assertThat(s.read(dst)).isEqualTo(3);
        assertThat(dst.flip().get(2)).isEqualTo((byte) 3);
        assertThat(s.read(ByteBuffer.allocate(16))).isZero();
        state.set(MigrationState.STOP_COPY);
        assertThat(s.read(ByteBuffer.allocate(16))).isEqualTo(-1);
        assertThat(s.read(ByteBuffer.allocate(16))).as("read after end of stream").isEqualTo(-1);
        s.retire();
    }

    @Test
    void aRetiredStreamIsENODEVAndItsFdIsClosed() throws Exception {
        final int[] p = Posix.pipe2(Layouts.O_CLOEXEC);
        final Fd read = new Fd(p[0]);
        final DataFdStream s = new DataFdStream(read, true, () -> MigrationState.STOP_COPY);
        s.retire();
        assertThat(s.isLive()).isFalse();
        assertThat(read.isOpen()).isFalse();
        assertThatThrownBy(() -> s.read(ByteBuffer.allocate(4)))
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        assertThatThrownBy(() -> s.write(ByteBuffer.allocate(4))).isInstanceOf(DeviceException.class);
        Posix.close(p[1]);
    }

    @Test
    void writesReachTheFdAndWrongDirectionGetsTheKernelsErrno() throws Exception {
        final int[] p = Posix.pipe2(Layouts.O_CLOEXEC);
        final DataFdStream resuming = new DataFdStream(new Fd(p[1]), false, () -> MigrationState.RESUMING);
        resuming.write(ByteBuffer.wrap(new byte[] {9, 8, 7, 6}));
        try (Fd r = new Fd(p[0])) {
            final byte[] got = new byte[4];
            assertThat(r.read(got, 0, 4)).isEqualTo(4);
            assertThat(got).containsExactly(9, 8, 7, 6);
        }
        // read(2) on a write-only end: the kernel's EBADF, passed through as the driver's answer would be.
        assertThatThrownBy(() -> resuming.read(ByteBuffer.allocate(4)))
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        resuming.retire();
    }

    @Test
    void precopyInfoOnAnFdThatIsNoDataFdIsTheKernelsENOTTY() throws Exception {
        final int[] p = Posix.pipe2(Layouts.O_CLOEXEC);
        final DataFdStream s = new DataFdStream(new Fd(p[0]), true, () -> MigrationState.PRE_COPY);
        assertThatThrownBy(s::precopyInfo)
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY))
                .hasMessageContaining("VFIO_MIG_GET_PRECOPY_INFO");
        s.retire();
        Posix.close(p[1]);
    }
}
