package dev.tern.vfiouser.client;

import static dev.tern.vfiouser.testing.ScriptedServer.concat;
import static dev.tern.vfiouser.testing.ScriptedServer.error;
import static dev.tern.vfiouser.testing.ScriptedServer.le;
import static dev.tern.vfiouser.testing.ScriptedServer.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.testing.ScriptedServer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The REGION_READ slot path ({@link RegionReads}) against a scripted server: malformed replies, a short one, an error
 * reply and another command's reply under the request's id give EPROTO or the server's errno without touching the
 * caller's memory; a silent server times out within the reply timeout, its late reply is dropped and the next read
 * (the same thread's slot, reused) gets its own reply.
 */
@Timeout(60)
class RegionReadSlotTest {
    private static final String CAPS = "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";
    private static final int READ = Command.REGION_READ.code();

    @Test
    void badRepliesAreErrnosAndALateReplyIsDropped() throws Exception {
        try (ScriptedServer s = ScriptedServer.start(TestServers.dir().resolve("slot.sock"), c -> {
            c.answerVersion(CAPS);
            Frame f = c.receive();
            c.send(reply(f.header().msgId(), READ, concat(le(0, 0, 7, 4), new byte[3]))); // 3 of 4 data bytes
            f = c.receive();
            c.send(reply(f.header().msgId(), READ, concat(le(0, 0, 7, 2), new byte[2]))); // 2 bytes for 4
            f = c.receive();
            c.send(error(f.header().msgId(), READ, Errno.EFAULT, new byte[0]));
            f = c.receive();
            c.send(reply(f.header().msgId(), Command.REGION_WRITE.code(), le(0, 0, 7, 4))); // another command's
            final Frame late = c.receive();
            final Frame next = c.receive(); // sent after the first timed out
            c.send(reply(late.header().msgId(), READ, concat(le(0, 0, 7, 4), new byte[] {9, 9, 9, 9})));
            c.send(reply(next.header().msgId(), READ, concat(le(0, 0, 7, 4), new byte[] {1, 2, 3, 4})));
            c.awaitClose();
        }); VfioUserClient client = VfioUserClient.connect(s.path(),
                ClientOptions.plain().withReplyTimeout(Duration.ofMillis(500)));
                Arena arena = Arena.ofConfined()) {
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

    private static void expectErrno(final Call call, final int errno, final String text) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(DeviceException.class, e -> {
            assertThat(Errno.name(e.errno())).isEqualTo(Errno.name(errno));
            assertThat(e.getMessage()).contains(text);
        });
    }

    /** A call that may fail with an errno. */
    @FunctionalInterface
    private interface Call {
        void run() throws DeviceException;
    }
}
