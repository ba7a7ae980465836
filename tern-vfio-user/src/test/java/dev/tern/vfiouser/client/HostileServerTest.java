package dev.tern.vfiouser.client;

import static dev.tern.vfiouser.testing.ScriptedServer.concat;
import static dev.tern.vfiouser.testing.ScriptedServer.error;
import static dev.tern.vfiouser.testing.ScriptedServer.le;
import static dev.tern.vfiouser.testing.ScriptedServer.message;
import static dev.tern.vfiouser.testing.ScriptedServer.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.sys.UnixServerSocket;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import dev.tern.vfiouser.testing.ScriptedServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tern's client against fake servers that misbehave, over real UNIX sockets: every wait bounded, every count
 * checked.
 */
@Timeout(30)
class HostileServerTest {
    private static final int REGION_READ = Command.REGION_READ.code();
    private static final String CAPS = "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";
    /** For the tests whose subject is the timeout; the others wait long enough for a loaded machine. */
    private static final ClientOptions FAST = ClientOptions.plain().withReplyTimeout(Duration.ofMillis(500));
    private static final ClientOptions PATIENT = ClientOptions.plain().withReplyTimeout(Duration.ofSeconds(20));

    private final Path dir = TestServers.dir();

    private static void expectErrno(final ThrowingCall call, final int errno, final String text) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(DeviceException.class, e -> {
            assertThat(Errno.name(e.errno())).isEqualTo(Errno.name(errno));
            assertThat(e.getMessage()).contains(text);
        });
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void aServerThatNeverAnswersVersionTimesOut() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("silent.sock"), c -> {
            c.receive();
            c.awaitClose();
        })) {
            final long start = System.nanoTime();
            expectErrno(() -> VfioUserClient.connect(s.path(), FAST), Errno.ETIMEDOUT, "VERSION: no reply within");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    /** A Tern server busy with one client leaves the second in its backlog: VERSION is never answered. */
    @Test
    void aServerBusyWithAnotherClientTimesOut() throws Exception {
        try (VfioUserServer server = TestServers.uart(dir, "busy.sock");
                VfioUserClient first = VfioUserClient.connect(server.path(), ClientOptions.defaults())) {
            expectErrno(() -> VfioUserClient.connect(server.path(), FAST), Errno.ETIMEDOUT, "another client");
            assertThat(first.deviceInfo().numRegions()).isPositive();
        }
    }

    /** libvfio-user listens with a backlog of 0 (vfio-user-interop.md L8): a third client's connect is bounded. */
    @Test
    void aFullListenBacklogIsBoundedToo() throws Exception {
        try (UnixServerSocket busy = UnixServerSocket.listen(dir.resolve("backlog.sock"), 0);
                UnixSocket waiting = UnixSocket.connect(busy.path())) {
            final long start = System.nanoTime();
            expectErrno(() -> VfioUserClient.connect(busy.path(), FAST), Errno.EAGAIN, "listen backlog stayed full");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(waiting.fd().isOpen()).isTrue();
        }
    }

    @Test
    void absurdRegionAndIrqCountsAreRefused() throws Exception {
        for (final int[] counts : new int[][] {{0x7fffffff, 1}, {-1, 1}, {9, 0x7fffffff}}) {
            try (ScriptedServer s = ScriptedServer.start(dir.resolve("counts.sock"), c -> {
                c.answerVersion(CAPS);
                final Frame f = c.receive();
                c.send(reply(f.header().msgId(), 4, le(16, 3, counts[0], counts[1])));
                c.awaitClose();
            }); VfioUserClient client = VfioUserClient.connect(s.path(), PATIENT)) {
                expectErrno(client::deviceInfo, Errno.EPROTO, "at most 256");
            }
        }
    }

    @Test
    void aFourGibReplyEndsTheConnectionAtOnce() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("huge.sock"), c -> {
            c.answerVersion(CAPS);
            final Frame f = c.receive();
            c.send(message(f.header().msgId(), 4, 0xffff_ffffL, Header.TYPE_REPLY, 0, new byte[0]));
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(), ClientOptions.plain())) {
            final long start = System.nanoTime();
            expectErrno(client::deviceInfo, Errno.EIO, "msg_size 4294967295 exceeds");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            expectErrno(client::deviceInfo, Errno.EIO, "");
        }
    }

    @Test
    void aHugeMaxMsgFdsOrTransferSizeInVersionIsBounded() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("caps.sock"), c -> {
            c.answerVersion("{ \"capabilities\": { \"max_msg_fds\": 2147483647, \"max_data_xfer_size\":"
                    + " 9223372036854775807 } }");
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(), PATIENT)) {
            assertThat(client.maxDataPiece()).isEqualTo(1L << 20);
            assertThat(client.maxMigrationChunk()).isEqualTo(1 << 20);
        }
    }

    /**
     * vfio-user-interop.md L1: libvfio-user's error replies echo the request (here with an fd too); the errno must
     * reach the caller and the stream stay in step.
     */
    @Test
    void anErrorReplyWithPayloadAndFdKeepsTheErrno() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("echo.sock"), c -> {
            c.answerVersion(CAPS);
            Frame f = c.receive();
            final byte[] echo = f.payload().toArray();
            try (EventFd fd = EventFd.create()) {
                c.send(error(f.header().msgId(), 16, Errno.EINVAL, echo), fd.fd());
            }
            f = c.receive();
            c.send(error(f.header().msgId(), 16, 0xbeef, concat(echo, new byte[8])));
            f = c.receive();
            c.send(reply(f.header().msgId(), 16, concat(le(16, DeviceFeature.GET | 2), le(2, 0))));
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(), PATIENT)) {
            final DeviceFeature set = DeviceFeature.set(Feature.MIG_DEVICE_STATE,
                    new FeaturePayload.MigDeviceState(5, -1));
            expectErrno(() -> client.feature(set), Errno.EINVAL, "refused by the server");
            assertThatThrownBy(() -> client.feature(set)).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(0xbeef));
            assertThat(client.feature(DeviceFeature.get(Feature.MIG_DEVICE_STATE)).payload())
                    .isEqualTo(new FeaturePayload.MigDeviceState(2, 0));
            assertThat(s.failure()).isEmpty();
        }
    }
    /**
     * MIG_DATA_READ replies take the lent-buffer path: more data than asked for, or a size beyond the bytes sent,
     * is EPROTO before anything reaches the caller's buffer; the next reply is read in step.
     */
    @Test
    void aMigDataReadReplyWithMoreDataThanAskedOrASizeBeyondItsBytesIsRefused() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("migread.sock"), c -> {
            c.answerVersion(CAPS);
            Frame f = c.receive();
            c.send(reply(f.header().msgId(), 17, concat(le(8 + 64, 64), new byte[64])));
            f = c.receive();
            c.send(reply(f.header().msgId(), 17, concat(le(8 + 32, 32), new byte[16])));
            f = c.receive();
            c.send(reply(f.header().msgId(), 17, concat(le(8 + 3, 3), new byte[] {1, 2, 3, 0, 0})));
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(), PATIENT)) {
            final ByteBuffer dst = ByteBuffer.allocate(64);
            expectErrno(() -> client.migDataRead(16, dst), Errno.EPROTO, "reply of 64 bytes for 16");
            expectErrno(() -> client.migDataRead(32, dst), Errno.EPROTO, "malformed reply");
            assertThat(dst.position()).isZero();
            assertThat(client.migDataRead(5, dst)).isEqualTo(3);
            assertThat(dst.flip()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
    }

    /** A silent server: the MIG_DATA_READ wait is bounded by the reply timeout, and a late reply is dropped. */
    @Test
    void aMigDataReadWithoutAReplyTimesOutAndALateReplyIsDropped() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("migslow.sock"), c -> {
            c.answerVersion(CAPS);
            final Frame late = c.receive();
            final Frame next = c.receive(); // sent after the first timed out
            c.send(reply(late.header().msgId(), 17, concat(le(8 + 4, 4), new byte[] {9, 9, 9, 9})));
            c.send(reply(next.header().msgId(), 17, concat(le(8 + 2, 2), new byte[] {5, 6})));
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(), FAST)) {
            final ByteBuffer dst = ByteBuffer.allocate(16);
            final long start = System.nanoTime();
            expectErrno(() -> client.migDataRead(4, dst), Errno.ETIMEDOUT, "no reply within");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(client.migDataRead(2, dst)).isEqualTo(2);
            assertThat(dst.flip()).isEqualTo(ByteBuffer.wrap(new byte[] {5, 6}));
        }
    }

    /**
     * REGION_READ into caller memory ({@link RegionReads}: a reply slot, the reply in place): malformed replies, a
     * short one, an error reply and another command's reply under the request's id are EPROTO or the server's errno
     * and leave the caller's memory untouched; a silent server times out in time, its late reply is dropped, and the
     * next read (the same thread's slot, reused) gets its own reply.
     */
    @Test
    void regionReadRepliesThatBreakTheRulesAreErrnosAndALateOneIsDropped() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(dir.resolve("slot.sock"), c -> {
            c.answerVersion(CAPS);
            Frame f = c.receive();
            c.send(reply(f.header().msgId(), REGION_READ, concat(le(0, 0, 7, 4), new byte[3]))); // 3 of 4 bytes
            f = c.receive();
            c.send(reply(f.header().msgId(), REGION_READ, concat(le(0, 0, 7, 2), new byte[2]))); // 2 bytes for 4
            f = c.receive();
            c.send(error(f.header().msgId(), REGION_READ, Errno.EFAULT, new byte[0]));
            f = c.receive();
            c.send(reply(f.header().msgId(), Command.REGION_WRITE.code(), le(0, 0, 7, 4))); // another command's
            final Frame late = c.receive();
            final Frame next = c.receive(); // sent after the first timed out
            c.send(reply(late.header().msgId(), REGION_READ, concat(le(0, 0, 7, 4), new byte[] {9, 9, 9, 9})));
            c.send(reply(next.header().msgId(), REGION_READ, concat(le(0, 0, 7, 4), new byte[] {1, 2, 3, 4})));
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(), FAST); Arena arena = Arena.ofConfined()) {
            final MemorySegment dst = arena.allocate(4).fill((byte) 0x5a);
            expectErrno(() -> client.readRegion(7, 0, dst), Errno.EPROTO, "malformed reply");
            expectErrno(() -> client.readRegion(7, 0, dst), Errno.EPROTO, "returned 2 of 4");
            expectErrno(() -> client.readRegion(7, 0, dst), Errno.EFAULT, "refused by the server");
            expectErrno(() -> client.readRegion(7, 0, dst), Errno.EPROTO, "unexpected reply");
            assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).as("untouched").containsOnly(0x5a);
            final long start = System.nanoTime();
            expectErrno(() -> client.readRegion(7, 0, dst), Errno.ETIMEDOUT, "no reply within");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            client.readRegion(7, 0, dst);
            assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3, 4);
            assertThat(s.failure()).isEmpty();
        }
    }
}
