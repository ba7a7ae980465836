package dev.tern.vfiouser.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionHandler;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.SaveSource;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's MIG_DATA_READ ({@link MigrationDataHandler}) over real sockets, against a device whose stream is a
 * known byte pattern handed out in pieces of at most 1000 bytes through the SDK's copying default of
 * {@code SaveSource.read(Gather, ...)}: requests of mixed sizes get the stream's bytes in order, a state change drops
 * the session's unread bytes, a client that reconnects mid-session loses nothing, and an error the stream raises
 * mid-request reaches that request, with at most that request's bytes lost. (These guarantees were pinned when the
 * server read STOP_COPY one chunk ahead; replies are now gathered on demand and nothing is held between requests.)
 */
@Timeout(30)
class MigrationDataReadTest {
    private static final int STOP = MigrationPeer.STOP;
    private static final int STOP_COPY = MigrationPeer.STOP_COPY;
    private static final int BYTES = 300_000;
    private static final int WHOLE = MigrationPeer.WHOLE;

    private final AtomicBoolean failOnce = new AtomicBoolean();

    @Test
    void requestsOfMixedSizesGetTheStreamInOrder() throws Exception {
        try (VfioUserServer server = start("mixed.sock"); MigrationPeer p = MigrationPeer.connect(server.path())) {
            final byte[] whole = drainOnce(p);
            assertThat(Arrays.copyOfRange(whole, whole.length - BYTES, whole.length)).isEqualTo(pattern(0, BYTES));
            final int[] sizes = {4096, 1000, 70_000, 3, 65_536, 12_345, 4096, 4096};
            p.setState(STOP);
            p.setState(STOP_COPY);
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            for (int i = 0;; i++) {
                final byte[] chunk = p.read(sizes[i % sizes.length]);
                got.writeBytes(chunk);
                if (chunk.length < sizes[i % sizes.length]) {
                    break;
                }
            }
            assertThat(got.toByteArray()).isEqualTo(whole);
        }
    }

    @Test
    void aStateChangeDropsTheUnreadBytesWithTheSession() throws Exception {
        try (VfioUserServer server = start("change.sock"); MigrationPeer p = MigrationPeer.connect(server.path())) {
            final byte[] whole = drainOnce(p);
            p.setState(STOP);
            p.setState(STOP_COPY);
            assertThat(p.read(4096)).isEqualTo(Arrays.copyOf(whole, 4096)); // the rest is unread
            p.setState(STOP); // ends the session: its unread bytes are gone
            p.setState(STOP_COPY);
            assertThat(p.read(WHOLE)).as("a new session starts from its header").isEqualTo(whole);
        }
    }

    @Test
    void aClientReconnectingMidSessionLosesNothing() throws Exception {
        try (VfioUserServer server = start("again.sock")) {
            final byte[] whole;
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            try (MigrationPeer p = MigrationPeer.connect(server.path())) {
                whole = drainOnce(p);
                p.setState(STOP);
                p.setState(STOP_COPY);
                got.writeBytes(p.read(4096));
            }
            try (MigrationPeer p = MigrationPeer.connect(server.path())) {
                got.writeBytes(p.read(WHOLE));
            }
            assertThat(got.toByteArray()).isEqualTo(whole);
        }
    }

    @Test
    void aStreamErrorMidRequestReachesThatRequestAndLosesAtMostItsBytes() throws Exception {
        try (VfioUserServer server = start("error.sock"); MigrationPeer p = MigrationPeer.connect(server.path())) {
            final byte[] whole = drainOnce(p);
            p.setState(STOP);
            p.setState(STOP_COPY);
            failOnce.set(true); // the source fails once, at 10,000 bytes, then goes on
            final ByteArrayOutputStream before = new ByteArrayOutputStream();
            Header error = null;
            while (error == null) {
                final Frame f = p.readFrame(4096);
                if (f.header().isError()) {
                    error = f.header();
                } else {
                    before.writeBytes(MigrationPeer.data(f));
                }
            }
            assertThat(error.errorNo()).isEqualTo(Errno.EIO);
            final byte[] after = p.read(WHOLE);
            final int lost = whole.length - before.size() - after.length;
            assertThat(before.size() % 4096).as("full replies before the error").isZero();
            assertThat(before.toByteArray()).isEqualTo(Arrays.copyOf(whole, before.size()));
            assertThat(after).isEqualTo(Arrays.copyOfRange(whole, whole.length - after.length, whole.length));
            assertThat(lost).as("what the failed request had read is lost with it")
                    .isBetween(1, 4096);
            assertThat(p.read(4096)).as("the end stays the end").isEmpty();
        }
    }

    private VfioUserServer start(final String name) throws Exception {
        final Bar0Uart device = new Bar0Uart("stream", uart -> new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                dst.put(new byte[dst.remaining()]);
            }

            @Override
            public void write(final long offset, final ByteBuffer src) {
            }
        }).stopCopyFrom(PatternSource::new);
        return TestServers.start(TestServers.dir().resolve(name), device, ServerConfig.defaults());
    }

    /** The pattern in pieces of at most 1000 bytes; fails once at 10,000 bytes when {@link #failOnce} is set. */
    private final class PatternSource implements SaveSource {
        private int position;

        @Override
        public int read(final ByteBuffer dst, final boolean stopCopy) throws DeviceException {
            if (position == BYTES) {
                return -1;
            }
            if (position >= 10_000 && failOnce.compareAndSet(true, false)) {
                throw new DeviceException(Errno.EIO, "injected read failure");
            }
            final int n = Math.min(Math.min(1000, dst.remaining()), BYTES - position);
            dst.put(pattern(position, n));
            position += n;
            return n;
        }

        @Override
        public PrecopyInfo precopyInfo() {
            return new PrecopyInfo(0, 0, false);
        }
    }

    private static byte[] pattern(final int from, final int n) {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            final int x = from + i;
            b[i] = (byte) (x * 31 + (x >>> 8));
        }
        return b;
    }

    /** @return the whole stream of a fresh STOP_COPY session, in one request */
    private byte[] drainOnce(final MigrationPeer p) throws Exception {
        p.setState(STOP_COPY);
        final byte[] whole = p.read(WHOLE);
        assertThat(whole.length).isGreaterThan(BYTES).isLessThan(WHOLE);
        return whole;
    }
}
