package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.command;
import static dev.tern.vfiouser.server.RawPeer.le;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.codec.Command;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.transport.Incoming;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9 item 2: one 48-byte DMA_LOGGING_START for a 16 TiB range allocated a 512 MiB bitmap, and one REPORT over it
 * (from a client proposing a huge max_data_xfer_size) about 1.5 GiB and a 512 MiB reply. Now the log costs only what
 * the device writes, and a REPORT must fit the smaller max_data_xfer_size of both sides.
 */
@Timeout(60)
class DirtyLogBoundsTest {
    private static final int FEATURE = Command.DEVICE_FEATURE.code();
    private static final int SET = 1 << 17;
    private static final int GET = 1 << 16;
    private static final long TIB16 = 1L << 44;
    private static VfioUserServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.dmaEngine(TestServers.dir(), "log.sock");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static long usedHeapAfterGc() {
        final Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static RawPeer negotiatedWithHugeXfer() throws Exception {
        final RawPeer p = RawPeer.connect(server.path());
        final byte[] json = RawPeer.cstring("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1099511627776}}");
        p.send(command(1, Command.VERSION.code(), RawPeer.concat(RawPeer.hex("00 00 02 00"), json)));
        final Header h = p.reply();
        assertThat(h.isError()).as("VERSION " + h).isFalse();
        return p;
    }

    @Test
    void aHugeStartCostsNothingAndAHugeReportIsRefused() throws Exception {
        try (RawPeer p = negotiatedWithHugeXfer()) {
            final long before = usedHeapAfterGc();
            p.send(command(2, FEATURE, le(48, SET | 6, 4096L, 1, 0, 0L, TIB16)));
            assertThat(p.reply().isError()).isFalse();
            final long growth = usedHeapAfterGc() - before;
            assertThat(growth).as("heap growth for a 16 TiB START").isLessThan(32L << 20);
            final long bitmap = TIB16 / 4096 / 8;
            p.send(command(3, FEATURE, le((int) (16 + 24 + bitmap), GET | 8, 0L, TIB16, 4096L)));
            final Incoming in = p.receive();
            assertThat(in).isInstanceOf(Incoming.Message.class);
            final Header h = ((Incoming.Message) in).frame().header();
            assertThat(h.isError()).as("REPORT of a 512 MiB bitmap: " + h).isTrue();
            assertThat(h.errorNo()).isEqualTo(Errno.EINVAL);
            p.send(command(4, FEATURE, le(16 + 24 + 8, GET | 8, 0L, 64 * 4096L, 4096L)));
            assertThat(p.reply().isError()).as("a REPORT that fits").isFalse();
            p.send(command(5, FEATURE, le(24, SET | 7, 0L, 0, 0)));
            assertThat(p.reply().isError()).isFalse();
        }
    }
}
