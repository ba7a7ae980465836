package dev.tern.vfiouser.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.EventFd;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.RegionWrite;
import dev.tern.vfiouser.codec.SetIrqs;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Framing with descriptors over a real socketpair. */
@Timeout(60)
class MessageChannelTest {

    @Test
    void descriptorsStayWithTheirMessage() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel a = new MessageChannel(pair.first(), CodecLimits.defaults());
                MessageChannel b = new MessageChannel(pair.second(), CodecLimits.defaults());
                EventFd e1 = EventFd.create(); EventFd e2 = EventFd.create()) {
            final Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    a.send(MessageEncoder.command(1, DeviceInfo.request()), List.of());
                    a.send(MessageEncoder.command(2, SetIrqs.eventfds(SetIrqs.ACTION_TRIGGER, 1, 0, 2, 2)),
                            List.of(e1.fd(), e2.fd()));
                    a.send(MessageEncoder.command(3, new RegionWrite(0, 0, Blob.wrap(new byte[300_000]))),
                            List.of());
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            final Incoming.Message m1 = (Incoming.Message) b.receive();
            final Incoming.Message m2 = (Incoming.Message) b.receive();
            final Incoming.Message m3 = (Incoming.Message) b.receive();
            assertThat(m1.fds()).isEmpty();
            assertThat(m2.frame().header().msgId()).isEqualTo(2);
            assertThat(m2.fds()).hasSize(2);
            assertThat(m3.frame().payload().length()).isEqualTo(300_016);
            EventFd.wrap(m2.fds().get(1)).signal();
            assertThat(e2.await(Duration.ofSeconds(1))).isTrue();
            m2.closeFds();
            sender.join();
        }
    }

    @Test
    void oversizeMessageIsRefusedAndTheStreamStaysInStep() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel a = new MessageChannel(pair.first(), CodecLimits.forDataXfer(4 << 20, 8));
                MessageChannel b = new MessageChannel(pair.second(), CodecLimits.forDataXfer(4096, 8))) {
            final Thread t = Thread.ofPlatform().start(() -> {
                try {
                    a.send(MessageEncoder.command(1, new RegionWrite(0, 0, Blob.wrap(new byte[1 << 20]))), List.of());
                    a.send(MessageEncoder.command(2, DeviceInfo.request()), List.of());
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            final Incoming first = b.receive();
            assertThat(first).isInstanceOfSatisfying(Incoming.Refused.class, r -> {
                assertThat(r.errno()).isEqualTo(Errno.EINVAL);
                assertThat(r.fatal()).isFalse();
            });
            assertThat(((Incoming.Message) b.receive()).frame().header().msgId()).isEqualTo(2);
            t.join();
        }
    }

    @Test
    void peerClosingIsAValue() throws Exception {
        final UnixSocket.Pair pair = UnixSocket.pair();
        try (MessageChannel b = new MessageChannel(pair.second(), CodecLimits.defaults())) {
            final Frame f = MessageEncoder.command(1, DeviceInfo.request());
            pair.first().send(java.nio.ByteBuffer.wrap(f.toBytes(), 0, 20));
            pair.first().close();
            assertThat(b.receive()).isInstanceOfSatisfying(Incoming.Closed.class,
                    c -> assertThat(c.clean()).isFalse());
        }
    }
}
