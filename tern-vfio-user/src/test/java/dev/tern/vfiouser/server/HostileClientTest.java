package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.command;
import static dev.tern.vfiouser.server.RawPeer.le;
import static dev.tern.vfiouser.server.RawPeer.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.EventFd;
import dev.tern.sys.Fd;
import dev.tern.sys.Layouts;
import dev.tern.sys.Pipe;
import dev.tern.sys.PosixMemory;
import dev.tern.sys.SharedMemory;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.Command;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.transport.Incoming;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Malformed input written as raw bytes on a real socket: the server answers with an errno or closes the connection,
 * and after every case still serves a good client (checked after each test).
 */
@Timeout(60)
class HostileClientTest {
    private static VfioUserServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.dmaEngine(TestServers.dir(), "bad.sock");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void serverStillServesAGoodClient() throws Exception {
        try (VfioUserClient c = VfioUserClient.connect(server.path(), ClientOptions.defaults())) {
            assertThat(c.deviceInfo().numRegions()).isEqualTo(9);
            assertThat(c.readRegion(7, 0, 2)).containsExactly(0x27, 0x7E);
        }
        assertThat(server.served().device().dma().mappings()).isEmpty();
    }

    private static void expectError(final RawPeer p, final int id, final int cmd, final int errno) {
        final Header h = p.reply();
        assertThat(h.msgId()).isEqualTo(id);
        assertThat(h.command()).isEqualTo(cmd);
        assertThat(h.isReply()).isTrue();
        assertThat(h.isError()).as("error flag on " + h).isTrue();
        assertThat(h.errorNo()).isEqualTo(errno);
        assertThat(h.messageSize()).isEqualTo(16);
    }

    private static void expectClosed(final RawPeer p) {
        assertThat(p.receive()).isInstanceOf(Incoming.Closed.class);
    }

    @Test
    void versionWithLibvfioUserClientBytes() throws Exception {
        try (RawPeer p = RawPeer.connect(server.path())) {
            p.send(RawPeer.LIBVFIO_USER_VERSION);
            final Incoming.Message m = (Incoming.Message) p.receive();
            final byte[] json = RawPeer.cstring("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}");
            final byte[] expected = RawPeer.concat(RawPeer.concat(RawPeer.hex("55 da 01 00"), le(16 + 4 + json.length,
                    1, 0)), RawPeer.concat(RawPeer.hex("00 00 02 00"), json));
            assertThat(m.frame().toBytes()).isEqualTo(expected);
        }
    }

    @Test
    void commandBeforeVersionIsRefusedAndClosed() throws Exception {
        try (RawPeer p = RawPeer.connect(server.path())) {
            p.send(command(7, Command.DEVICE_GET_INFO.code(), le(16, 0, 0, 0)));
            expectError(p, 7, Command.DEVICE_GET_INFO.code(), Errno.EINVAL);
            expectClosed(p);
        }
    }

    @Test
    void badVersionJsonAndMajorAreRefused() throws Exception {
        try (RawPeer p = RawPeer.connect(server.path())) {
            p.send(command(1, 1, RawPeer.concat(RawPeer.hex("00 00 02 00"), "{\"capabilities\":".getBytes())));
            expectError(p, 1, 1, Errno.EINVAL);
            expectClosed(p);
        }
        try (RawPeer p = RawPeer.connect(server.path())) {
            p.send(command(2, 1, RawPeer.hex("01 00 00 00")));
            expectError(p, 2, 1, Errno.EINVAL);
            expectClosed(p);
        }
    }

    @Test
    void shortHeaderThenDisconnect() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(RawPeer.hex("01 00 04 00 20 00"));
        }
    }

    @Test
    void disconnectInTheMiddleOfABody() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(message(3, Command.REGION_WRITE.code(), 1016, 0, new byte[100]));
        }
    }

    @Test
    void msgSizeBelowTheHeaderClosesTheConnection() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(message(4, Command.DEVICE_GET_INFO.code(), 8, 0, new byte[0]));
            expectError(p, 4, Command.DEVICE_GET_INFO.code(), Errno.EINVAL);
            expectClosed(p);
        }
    }

    @Test
    void wrongLengthsAndArgszAreEinval() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(command(5, Command.REGION_READ.code(), new byte[12]));
            expectError(p, 5, Command.REGION_READ.code(), Errno.EINVAL);
            p.send(command(6, Command.REGION_WRITE.code(), RawPeer.concat(le(0L, 7, 4), new byte[2])));
            expectError(p, 6, Command.REGION_WRITE.code(), Errno.EINVAL);
            p.send(command(7, Command.DEVICE_GET_INFO.code(), le(8, 0, 0, 0)));
            expectError(p, 7, Command.DEVICE_GET_INFO.code(), Errno.EINVAL);
            p.send(command(8, Command.DEVICE_GET_REGION_INFO.code(), le(16, 0, 0, 0, 0L, 0L)));
            expectError(p, 8, Command.DEVICE_GET_REGION_INFO.code(), Errno.EINVAL);
            p.send(command(9, Command.MIG_DATA_READ.code(), le(8, 1024)));
            expectError(p, 9, Command.MIG_DATA_READ.code(), Errno.EINVAL);
            p.send(command(10, Command.DEVICE_FEATURE.code(), le(8, 1 << 16 | 1)));
            expectError(p, 10, Command.DEVICE_FEATURE.code(), Errno.EINVAL);
            p.send(command(11, Command.DEVICE_GET_INFO.code(), new byte[0]));
            expectError(p, 11, Command.DEVICE_GET_INFO.code(), Errno.EINVAL);
            p.send(command(12, Command.REGION_READ.code(), le(0L, 7, 4)));
            assertThat(p.reply().isError()).isFalse();
        }
    }

    @Test
    void unknownCommandsAreEinval() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            for (final int cmd : new int[] {0, 14, 19, 0xffff}) {
                p.send(command(cmd, cmd, le(0, 0)));
                expectError(p, cmd, cmd, Errno.EINVAL);
            }
            p.send(command(20, Command.DMA_READ.code(), le(0L, 8L)));
            expectError(p, 20, Command.DMA_READ.code(), Errno.EINVAL);
            p.send(command(21, Command.VERSION.code(), RawPeer.hex("00 00 02 00")));
            expectError(p, 21, Command.VERSION.code(), Errno.EINVAL);
        }
    }

    @Test
    void tooManyFdsAreRefusedAndClosed() throws Exception {
        final List<EventFd> fds = new ArrayList<>();
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            for (int i = 0; i < 9; i++) {
                fds.add(EventFd.create());
            }
            p.send(command(30, Command.DEVICE_SET_IRQS.code(), le(20, 4 | 32, 1, 0, 9)),
                    fds.stream().map(EventFd::fd).toArray(Fd[]::new));
            expectError(p, 30, Command.DEVICE_SET_IRQS.code(), Errno.EINVAL);
            p.send(command(31, Command.DEVICE_GET_INFO.code(), le(16, 0, 0, 0)), fds.getFirst().fd());
            expectError(p, 31, Command.DEVICE_GET_INFO.code(), Errno.EINVAL);
            p.send(command(32, Command.DEVICE_SET_IRQS.code(), le(20, 4 | 32, 1, 0, 1)), fds.get(0).fd(),
                    fds.get(1).fd());
            expectError(p, 32, Command.DEVICE_SET_IRQS.code(), Errno.EINVAL);
        } finally {
            fds.forEach(EventFd::close);
        }
    }

    @Test
    void oversizePayloadIsSkippedAndRefused() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            final byte[] big = new byte[(2 << 20) + 16];
            System.arraycopy(le(0L, 7, 2 << 20), 0, big, 0, 16);
            p.send(command(40, Command.REGION_WRITE.code(), big));
            expectError(p, 40, Command.REGION_WRITE.code(), Errno.EINVAL);
            p.send(command(41, Command.REGION_READ.code(), le(0L, 7, 2)));
            assertThat(p.reply().isError()).isFalse();
        }
    }

    @Test
    void garbageNeverKillsTheServer() throws Exception {
        final Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            try (RawPeer p = RawPeer.negotiated(server.path())) {
                final byte[] junk = new byte[16 + random.nextInt(200)];
                random.nextBytes(junk);
                junk[4] = (byte) (junk.length + random.nextInt(3) - 1);
                junk[5] = 0;
                junk[6] = 0;
                junk[7] = 0;
                p.send(junk);
                p.shutdownOutput();
                while (!(p.receive() instanceof Incoming.Closed)) {
                    // drain whatever the server answers until it sees our end of stream
                }
            }
        }
    }

    @Test
    void dmaMapWithBadFdOrSizeIsRefused() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path()); EventFd notFile = EventFd.create();
                SharedMemory mem = SharedMemory.create("guest", 1 << 20)) {
            p.send(command(50, Command.DMA_MAP.code(), le(32, 3, 0L, 0x100000L, 0x100000L)), notFile.fd());
            expectError(p, 50, Command.DMA_MAP.code(), Errno.EINVAL);
            p.send(command(51, Command.DMA_MAP.code(), le(32, 3, 0L, 0x100000L, 0x200000L)), mem.fd());
            expectError(p, 51, Command.DMA_MAP.code(), Errno.EINVAL);
            p.send(command(52, Command.DMA_MAP.code(), le(32, 3, 100L, 0x100000L, 0x1000L)), mem.fd());
            expectError(p, 52, Command.DMA_MAP.code(), Errno.EINVAL);
            p.send(command(53, Command.DMA_MAP.code(), le(32, 3, 0L, 0x100000L, 0L)), mem.fd());
            expectError(p, 53, Command.DMA_MAP.code(), Errno.EINVAL);
            p.send(command(54, Command.DMA_MAP.code(), le(16, 3, 0L, 0x100000L, 0x1000L)), mem.fd());
            expectError(p, 54, Command.DMA_MAP.code(), Errno.EINVAL);
            p.send(command(55, Command.DMA_MAP.code(), le(32, 3, 0L, 0x100000L, 0x100000L)), mem.fd());
            assertThat(p.reply().isError()).isFalse();
            p.send(command(56, Command.DMA_MAP.code(), le(32, 3, 0L, 0x180000L, 0x1000L)));
            expectError(p, 56, Command.DMA_MAP.code(), Errno.EEXIST);
            assertThat(server.served().device().dma().mappings()).hasSize(1);
        }
    }

    /** Issue 9 item 7: argsz 0xffffffff was accepted by DMA_UNMAP and SET_IRQS; libvfio-user bounds it by 1 MiB. */
    @Test
    void argszBeyondTheMessageOrOneMibIsEinval() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(command(60, Command.DMA_UNMAP.code(), le(0xffff_ffff, 0, 0x100000L, 0x1000L)));
            expectError(p, 60, Command.DMA_UNMAP.code(), Errno.EINVAL);
            p.send(command(61, Command.DMA_UNMAP.code(), le((1 << 20) + 1, 0, 0x100000L, 0x1000L)));
            expectError(p, 61, Command.DMA_UNMAP.code(), Errno.EINVAL);
            p.send(command(62, Command.DEVICE_SET_IRQS.code(), le(0xffff_ffff, 1 | 32, 0, 0, 0)));
            expectError(p, 62, Command.DEVICE_SET_IRQS.code(), Errno.EINVAL);
            p.send(command(63, Command.DEVICE_SET_IRQS.code(), le(24, 1 | 32, 0, 0, 0)));
            expectError(p, 63, Command.DEVICE_SET_IRQS.code(), Errno.EINVAL);
            p.send(command(64, Command.DEVICE_SET_IRQS.code(), le(20, 1 | 32, 0, 0, 0)));
            assertThat(p.reply().isError()).isFalse();
            p.send(command(65, Command.DMA_UNMAP.code(), le(1 << 20, 0, 0x100000L, 0x1000L)));
            expectError(p, 65, Command.DMA_UNMAP.code(), Errno.ENOENT);
        }
    }

    /**
     * Issue 9 item 3: any fd was accepted as an IRQ eventfd, and a blocking write() to it stalled the dispatcher (a
     * pipe after 8,192 interrupts; a real eventfd whose counter the client saturated, at once). Now only eventfds
     * are accepted and a saturated one drops the coalescable signal.
     */
    @Test
    void onlyEventfdsAreIrqTriggersAndASaturatedOneNeverBlocks() throws Exception {
        final int setIrqs = Command.DEVICE_SET_IRQS.code();
        try (RawPeer p = RawPeer.negotiated(server.path()); Pipe pipe = Pipe.open(); EventFd e = EventFd.create()) {
            p.send(command(70, setIrqs, le(20, 4 | 32, 1, 0, 1)), pipe.writeEnd());
            expectError(p, 70, setIrqs, Errno.EINVAL);
            p.send(command(71, setIrqs, le(20, 4 | 32, 1, 0, 1)), e.fd());
            assertThat(p.reply().isError()).isFalse();
            e.signal(0xffff_ffff_ffff_fffeL); // the largest count an eventfd holds: the next +1 would block
            for (int i = 0; i < 3; i++) {
                p.send(command(72 + i, setIrqs, le(20, 1 | 32, 1, 0, 1))); // loopback trigger of MSI vector 0
                assertThat(p.reply().isError()).isFalse();
            }
            assertThat(e.consume()).isEqualTo(0xffff_ffff_ffff_fffeL);
            p.send(command(75, setIrqs, le(20, 1 | 32, 1, 0, 1)));
            assertThat(p.reply().isError()).isFalse();
            assertThat(e.consume()).isEqualTo(1);
        }
    }

    /**
     * Issue 9 item 4: a client that shrank its memfd after DMA_MAP killed the device's thread with SIGBUS. The server
     * now maps only memfds sealed against shrinking; an unsealed one is refused before anything is mapped.
     */
    @Test
    void dmaMapOfAMemfdThatMayShrinkIsRefused() throws Exception {
        try (RawPeer p = RawPeer.negotiated(server.path());
                Fd unsealed = new Fd(PosixMemory.memfdCreate("unsealed", Layouts.MFD_CLOEXEC | Layouts.MFD_ALLOW_SEALING));
                SharedMemory sealed = SharedMemory.create("guest", 1 << 20)) {
            PosixMemory.ftruncate(unsealed.value(), 1 << 20);
            p.send(command(80, Command.DMA_MAP.code(), le(32, 3, 0L, 0x100000L, 0x100000L)), unsealed);
            expectError(p, 80, Command.DMA_MAP.code(), Errno.EINVAL);
            assertThat(server.served().device().dma().mappings()).isEmpty();
            unsealed.addSeals(Layouts.F_SEAL_SHRINK);
            p.send(command(81, Command.DMA_MAP.code(), le(32, 3, 0L, 0x100000L, 0x100000L)), unsealed);
            assertThat(p.reply().isError()).isFalse();
            p.send(command(82, Command.DMA_MAP.code(), le(32, 3, 0L, 0x200000L, 0x100000L)), sealed.fd());
            assertThat(p.reply().isError()).isFalse();
            assertThat(server.served().device().dma().mappings()).hasSize(2);
        }
    }
}
