package dev.tern.vfiouser.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.MigDataReadReply;
import dev.tern.vfiouser.codec.MigDataWrite;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client's zero-copy paths over a real socketpair: MIG_DATA_READ replies received into the lent buffer
 * ({@link Incoming.Loaned}) and commands sent by one gather {@code sendmsg} ({@link MessageChannel#sendCommand}),
 * with messages far larger than the socket buffers so that reads and writes are partial.
 */
@Timeout(60)
class LoanedRepliesTest {
    private static final CodecLimits LIMITS = CodecLimits.forDataXfer(4 << 20, 8);

    private static byte[] random(final int n, final long seed) {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Sends frames from another thread (the receiver reads concurrently, so partial writes resume). */
    private static Thread sender(final MessageChannel a, final Blob... replies) {
        return Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < replies.length; i++) {
                    a.send(MessageEncoder.reply(i + 1, MigDataReadReply.of(replies[i])), List.of());
                }
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] data(final ByteBuffer payload) {
        final int n = MigDataReadReply.dataSize(payload);
        final byte[] out = new byte[n];
        payload.duplicate().position(8).get(out);
        return out;
    }

    @Test
    void migDataReadRepliesAreLentAndTheBufferGrowsForALargerReply() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel a = new MessageChannel(pair.first(), LIMITS);
                MessageChannel b = new MessageChannel(pair.second(), LIMITS)) {
            b.receiveRepliesDirect(Command.MIG_DATA_READ);
            final byte[] small = random(4096, 1);
            final byte[] large = random(3 << 20, 2);
            final Thread t = sender(a, Blob.wrap(small), Blob.wrap(large));
            final Incoming.Loaned first = (Incoming.Loaned) b.receive();
            assertThat(first.header().msgId()).isEqualTo(1);
            assertThat(data(first.payload())).isEqualTo(small);
            first.release();
            final Incoming.Loaned second = (Incoming.Loaned) b.receive();
            assertThat(second.payload().remaining()).isEqualTo(8 + large.length);
            assertThat(data(second.payload())).isEqualTo(large);
            second.release();
            t.join();
        }
    }

    @Test
    void whileTheBufferIsLentTheNextReplyIsFramedWithTheSameBytes() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel a = new MessageChannel(pair.first(), LIMITS);
                MessageChannel b = new MessageChannel(pair.second(), LIMITS)) {
            b.receiveRepliesDirect(Command.MIG_DATA_READ);
            final byte[] one = random(100_000, 3);
            final byte[] two = random(200_000, 4);
            final byte[] three = random(300_000, 5);
            final Thread t = sender(a, Blob.wrap(one), Blob.wrap(two), Blob.wrap(three));
            final Incoming.Loaned first = (Incoming.Loaned) b.receive();
            final Incoming.Message framed = (Incoming.Message) b.receive();
            assertThat(data(first.payload())).isEqualTo(one); // not overwritten by the second reply
            final MigDataReadReply r = (MigDataReadReply) ((Decoded) new MessageDecoder(LIMITS)
                    .decode(framed.frame())).message();
            assertThat(r.data().toArray()).isEqualTo(two);
            first.release();
            assertThat(data(((Incoming.Loaned) b.receive()).payload())).isEqualTo(three);
            t.join();
        }
    }

    @Test
    void errorRepliesRepliesWithAnFdAndCommandsAreFramed() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel a = new MessageChannel(pair.first(), LIMITS);
                MessageChannel b = new MessageChannel(pair.second(), LIMITS); EventFd e = EventFd.create()) {
            b.receiveRepliesDirect(Command.MIG_DATA_READ);
            a.send(MessageEncoder.error(1, Command.MIG_DATA_READ.code(), Errno.EINVAL), List.of());
            final Frame withFd = MessageEncoder.reply(2, MigDataReadReply.of(Blob.wrap(new byte[16])));
            a.send(new Frame(withFd.header(), withFd.payload(), 1), List.of(e.fd()));
            a.send(MessageEncoder.command(3, MigDataWrite.of(Blob.wrap(new byte[64]))), List.of());
            assertThat(((Incoming.Message) b.receive()).frame().header().isError()).isTrue();
            final Incoming.Message fd = (Incoming.Message) b.receive();
            assertThat(fd.fds()).hasSize(1);
            fd.closeFds();
            assertThat(((Incoming.Message) b.receive()).frame().header().isCommand()).isTrue();
        }
    }

    @Test
    void aGatherCommandArrivesAsOneMessageFromNativeAndHeapMemory() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel a = new MessageChannel(pair.first(), LIMITS);
                MessageChannel b = new MessageChannel(pair.second(), LIMITS); Arena arena = Arena.ofConfined()) {
            final byte[] bytes = random(3 << 20, 6);
            final MemorySegment nativeData = arena.allocate(bytes.length);
            nativeData.copyFrom(MemorySegment.ofArray(bytes));
            final Thread t = Thread.ofPlatform().start(() -> {
                try {
                    for (final MemorySegment data : List.of(nativeData, MemorySegment.ofArray(bytes))) {
                        final ByteBuffer fields = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                                .putInt(8 + bytes.length).putInt(bytes.length).flip();
                        a.sendCommand(7, Command.MIG_DATA_WRITE, fields, data);
                    }
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 2; i++) {
                final Incoming.Message m = (Incoming.Message) b.receive();
                assertThat(m.frame().header().msgId()).isEqualTo(7);
                final MigDataWrite w = (MigDataWrite) ((Decoded) new MessageDecoder(LIMITS).decode(m.frame()))
                        .message();
                assertThat(w.argsz()).isEqualTo(8 + bytes.length);
                assertThat(w.data().toArray()).isEqualTo(bytes);
            }
            t.join();
        }
    }
}
