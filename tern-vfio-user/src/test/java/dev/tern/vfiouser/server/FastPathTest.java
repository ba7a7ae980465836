package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.command;
import static dev.tern.vfiouser.server.RawPeer.concat;
import static dev.tern.vfiouser.server.RawPeer.cstring;
import static dev.tern.vfiouser.server.RawPeer.le;
import static dev.tern.vfiouser.server.RawPeer.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionHandler;
import dev.tern.device.migration.StreamHeader;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.DmaMap;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.transport.Incoming;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's fast path (issue 12) over real sockets: commands answered on the reader thread keep the
 * specification's order ("Command Concurrency") behind commands handed to the dispatcher, a handler waiting for the
 * client's DMA reply does not stop the reader, and MIG_DATA_READ replies sent from the reusable buffer have the
 * wire form of the encoder's padded reply.
 */
@Timeout(30)
class FastPathTest {
    private static final int BAR0 = 0;
    private static final int PCI_CONFIG = 7;
    private static final long IOVA = 0x40000;
    /** {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} and {@code VFIO_DEVICE_STATE_STOP_COPY} (vfio-migration.md). */
    private static final int MIG_DEVICE_STATE = 2;
    private static final int STOP_COPY = 3;
    private static final int RESUMING = 4;

    /** REGION_WRITE then REGION_READ of one register, 300 times, all sent before any reply is read. */
    @Test
    void pipelinedWritesAndReadsAreAnsweredInOrder() throws Exception {
        final AtomicLong register = new AtomicLong();
        try (VfioUserServer server = start(uart -> latch(register, register::set));
                RawPeer p = negotiatedAndEnabled(server)) {
            final ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            for (int i = 0; i < 300; i++) {
                pipeline.writeBytes(command(2 * i, Command.REGION_WRITE.code(), le(0L, BAR0, 8, (long) i)));
                pipeline.writeBytes(command(2 * i + 1, Command.REGION_READ.code(), le(0L, BAR0, 8)));
            }
            p.send(pipeline.toByteArray());
            for (int i = 0; i < 300; i++) {
                assertThat(p.reply().msgId()).isEqualTo(2 * i);
                final Frame read = frame(p);
                assertThat(read.header().msgId()).isEqualTo(2 * i + 1);
                assertThat(payload(read).getLong(16)).as("value read after write " + i).isEqualTo(i);
            }
        }
    }

    /**
     * A REGION_WRITE whose handler reads client memory (DMA_READ over the socket) with a REGION_READ pipelined behind
     * it: the reader still takes the DMA reply in, and the read is answered after the write, with its result.
     */
    @Test
    void aReadBehindAWriteDoingDmaWaitsForItAndTheReaderStillServesTheDma() throws Exception {
        final AtomicLong register = new AtomicLong();
        try (VfioUserServer server = start(uart -> latch(register, v -> register.set(uart.dma().readLong(IOVA))));
                RawPeer p = negotiatedAndEnabled(server)) {
            p.send(command(1, Command.DMA_MAP.code(),
                    le(DmaMap.SIZE, DmaMap.FLAG_READ | DmaMap.FLAG_WRITE, 0L, IOVA, 4096L)));
            assertThat(p.reply()).extracting(Header::isError, Header::errorNo).containsExactly(false, 0);
            p.send(concat(command(2, Command.REGION_WRITE.code(), le(0L, BAR0, 8, 1L)),
                    command(3, Command.REGION_READ.code(), le(0L, BAR0, 8))));
            final Frame dma = frame(p);
            assertThat(dma.header().isCommand()).isTrue();
            assertThat(dma.header().command()).isEqualTo(Command.DMA_READ.code());
            assertThat(payload(dma).getLong(0)).isEqualTo(IOVA);
            p.send(message(dma.header().msgId(), Command.DMA_READ.code(), 16 + 24, Header.TYPE_REPLY,
                    le(IOVA, 8L, 0x1234_5678_9abcL)));
            assertThat(p.reply().msgId()).isEqualTo(2);
            final Frame read = frame(p);
            assertThat(read.header().msgId()).isEqualTo(3);
            assertThat(payload(read).getLong(16)).isEqualTo(0x1234_5678_9abcL);
        }
    }

    /**
     * Drains STOP_COPY in chunks of alternating size, so short chunks reuse a buffer that held a longer one: every
     * reply is the encoder's padded form (msg_size 16 + 8 + requested, argsz 8 + n, size n, zero padding).
     */
    @Test
    void migDataReadRepliesArePaddedWithZerosWhateverTheBufferHeldBefore() throws Exception {
        try (VfioUserServer server = TestServers.start(TestServers.dir().resolve("mig.sock"),
                new DmaEngine(DmaEngineConfig.ofMemory(1L << 20)), ServerConfig.defaults());
                RawPeer p = RawPeer.connect(server.path())) {
            p.send(command(0, Command.VERSION.code(), concat(le(2 << 16) /* major 0, minor 2 */,
                    cstring("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}"))));
            assertThat(p.reply().isError()).isFalse();
            p.send(command(1, Command.DEVICE_FEATURE.code(),
                    le(16, DeviceFeature.SET | MIG_DEVICE_STATE, STOP_COPY, -1)));
            assertThat(p.reply().isError()).isFalse();
            long total = 0;
            int shortReplies = 0;
            for (int id = 2;; id++) {
                final int requested = id % 2 == 0 ? 65536 : 1000;
                p.send(command(id, Command.MIG_DATA_READ.code(), le(8 + requested, requested)));
                final Frame f = frame(p);
                final ByteBuffer b = payload(f);
                final int n = b.getInt(4);
                assertThat(f.header().messageSize()).isEqualTo(16 + 8 + requested);
                assertThat(b.getInt(0)).isEqualTo(8 + n);
                for (int i = 8 + n; i < 8 + requested; i++) {
                    assertThat(b.get(i)).as("padding byte " + i + " of a " + n + "-byte chunk").isZero();
                }
                total += n;
                if (n < requested) {
                    shortReplies++;
                    if (n == 0) {
                        break;
                    }
                }
            }
            assertThat(total).isGreaterThan(1L << 20);
            assertThat(shortReplies).isGreaterThanOrEqualTo(1);
        }
    }

    /**
     * MIG_DATA_WRITE is received into the reader's lent buffer and checked there as its decoder checks it: a size
     * that is not what follows, or an argsz below 8 + size, is EINVAL, and the connection goes on; a good one
     * reaches the stream (here: refused by the device as not a Tern stream, EINVAL too, but at the load); a write
     * pipelined behind a queued command takes the framed path and is answered in order.
     */
    @Test
    void aMigDataWriteReceivedInPlaceIsCheckedAsItsDecoderWould() throws Exception {
        try (VfioUserServer server = TestServers.start(TestServers.dir().resolve("mdw.sock"),
                new DmaEngine(DmaEngineConfig.ofMemory(1L << 20)), ServerConfig.defaults());
                RawPeer p = RawPeer.negotiated(server.path())) {
            p.send(command(1, Command.MIG_DATA_WRITE.code(), concat(le(8 + 4, 4), new byte[4])));
            assertThat(p.reply().errorNo()).as("outside RESUMING").isEqualTo(Errno.EINVAL);
            p.send(command(2, Command.DEVICE_FEATURE.code(), le(16, DeviceFeature.SET | MIG_DEVICE_STATE, RESUMING,
                    -1)));
            assertThat(p.reply().isError()).isFalse();
            p.send(command(3, Command.MIG_DATA_WRITE.code(), concat(le(8 + 4, 5), new byte[4])));
            assertThat(p.reply().errorNo()).as("size beyond the payload").isEqualTo(Errno.EINVAL);
            p.send(command(4, Command.MIG_DATA_WRITE.code(), concat(le(8 + 3, 4), new byte[4])));
            assertThat(p.reply().errorNo()).as("argsz < 8 + size").isEqualTo(Errno.EINVAL);
            final byte[] magic = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(StreamHeader.MAGIC)
                    .array();
            p.send(concat(command(5, Command.DEVICE_FEATURE.code(), le(16, DeviceFeature.SET | MIG_DEVICE_STATE,
                    RESUMING, -1)), command(6, Command.MIG_DATA_WRITE.code(), concat(le(8 + 8, 8), magic))));
            final Header set = p.reply();
            assertThat(set.msgId()).isEqualTo(5);
            final Header write = p.reply();
            assertThat(write.msgId()).isEqualTo(6);
            assertThat(write.isError()).as("the first bytes of a Tern stream are accepted").isFalse();
            p.send(command(7, Command.MIG_DATA_WRITE.code(), concat(le(8 + 8, 8), magic)));
            assertThat(p.reply().isError()).as("a header whose kind is garbage").isTrue();
        }
    }

    private static VfioUserServer start(final Function<dev.tern.samples.Uart, RegionHandler> bar0)
            throws Exception {
        return TestServers.start(TestServers.dir().resolve("fast.sock"), new Bar0Uart("fast", bar0),
                ServerConfig.defaults());
    }

    /** @return a peer that negotiated and enabled I/O decoding and bus mastering in the PCI command register */
    private static RawPeer negotiatedAndEnabled(final VfioUserServer server) throws Exception {
        final RawPeer p = RawPeer.negotiated(server.path());
        p.send(command(100, Command.REGION_WRITE.code(), concat(le(4L, PCI_CONFIG, 2), new byte[] {5, 0})));
        assertThat(p.reply().isError()).isFalse();
        return p;
    }

    /** An 8-byte register: a write goes to {@code onWrite}, a read returns {@code value}. */
    private static RegionHandler latch(final AtomicLong value, final Written onWrite) {
        return new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                dst.order(ByteOrder.LITTLE_ENDIAN).putLong(value.get());
            }

            @Override
            public void write(final long offset, final ByteBuffer src) throws DeviceException {
                onWrite.accept(src.order(ByteOrder.LITTLE_ENDIAN).getLong());
            }
        };
    }

    @FunctionalInterface
    private interface Written {
        void accept(long value) throws DeviceException;
    }

    private static Frame frame(final RawPeer p) {
        final Incoming in = p.receive();
        assertThat(in).isInstanceOf(Incoming.Message.class);
        final Frame f = ((Incoming.Message) in).frame();
        assertThat(f.header().isError()).as("error reply " + f.header()).isFalse();
        return f;
    }

    private static ByteBuffer payload(final Frame f) {
        return f.payload().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
