package dev.tern.vfiouser.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.sys.EventFd;
import dev.tern.sys.Fd;
import dev.tern.sys.Pipe;
import dev.tern.sys.SharedMemory;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.MessageGenerator;
import dev.tern.vfiouser.codec.ServerOffer;
import dev.tern.vfiouser.codec.Version;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzing target (b): the live server over real sockets. Each unit is one connection carrying a VERSION (mutated
 * one time in ten) and {@value #PER_CONNECTION} generated or mutated messages of every command, some with
 * descriptors attached (an eventfd, a sealed memfd, a pipe), while a reader drains whatever the server answers; then
 * the client half-closes and the server must end the session within the deadline. Every 50 connections, and at the
 * end, a good client must be served. 10^5 messages in CI; {@code -Dtern.fuzz.inputs=1000000} for a long run.
 */
class ServerFuzzTest {
    private static final int PER_CONNECTION = 250;
    private static final AtomicLong ANSWERED = new AtomicLong();

    @Test
    @Timeout(900)
    void theServerSurvivesEveryMessageSequenceAndStillServes() throws Exception {
        final ServerConfig config = new ServerConfig(ServerOffer.defaults(), false, Duration.ofMillis(100), 64L << 20,
                1024, Duration.ofSeconds(10), Duration.ofSeconds(10));
        final Random r = new Random(FuzzCampaign.seed());
        final MessageGenerator gen = MessageGenerator.withEveryKindAsSeed();
        try (VfioUserServer server = TestServers.start(TestServers.dir().resolve("fuzz.sock"),
                new DmaEngine(DmaEngineConfig.ofMemory(8L << 20)), config);
                EventFd eventfd = EventFd.create(); SharedMemory memfd = SharedMemory.create("fuzz", 1 << 20);
                Pipe pipe = Pipe.open()) {
            final Fd[] pool = {eventfd.fd(), memfd.fd(), pipe.writeEnd()};
            final FuzzCampaign.Figures f = FuzzCampaign.run("server", FuzzCampaign.inputs(100_000),
                    Duration.ofSeconds(20), i -> {
                        final long sent = connection(server, gen, r, pool);
                        if (i % 50 == 49) {
                            assertServed(server);
                        }
                        return sent;
                    });
            assertServed(server);
            System.out.printf("fuzz server: %,d replies (errors included) to %,d messages%n", ANSWERED.get(),
                    f.inputs());
            assertThat(f.failures()).isEmpty();
            assertThat(ANSWERED.get()).as("most messages reach the dispatcher").isGreaterThan(f.inputs() / 2);
            assertThat(f.heapMiB()[2] - f.heapMiB()[0]).as("heap growth, MiB").isLessThan(64);
            // the dma-engine may hold its staging memfd (RESUMING) and pre-copy snapshot at the end: device state,
            // bounded by the device, not by the number of inputs
            assertThat(f.fds()[2] - f.fds()[0]).as("fds left open").isLessThanOrEqualTo(4);
        }
    }

    /** @return the messages sent (VERSION included) */
    private static long connection(final VfioUserServer server, final MessageGenerator gen, final Random r,
            final Fd[] pool) throws Exception {
        final UnixSocket socket = UnixSocket.connect(server.path());
        final MessageChannel replies = new MessageChannel(socket, CodecLimits.forDataXfer(8 << 20, 16));
        final Thread drain = Thread.ofPlatform().daemon().name("fuzz-drain").start(() -> {
            while (replies.receive() instanceof Incoming.Message m) {
                m.closeFds();
                ANSWERED.incrementAndGet();
            }
        });
        long sent = 0;
        try {
            send(socket, r.nextInt(10) == 0 ? gen.mutate(validVersion(), r) : validVersion(), List.of());
            sent++;
            for (int k = 0; k < PER_CONNECTION; k++) {
                final List<Fd> fds = new ArrayList<>();
                if (r.nextInt(20) == 0) {
                    for (int n = 1 + r.nextInt(2); n > 0; n--) {
                        fds.add(pool[r.nextInt(pool.length)]);
                    }
                }
                // one message in PER_CONNECTION breaks the framing; the others keep the stream in step
                send(socket, gen.next(r, 0.5, r.nextInt(PER_CONNECTION) != 0), fds);
                sent++;
            }
            socket.shutdownOutput();
        } catch (final IOException e) {
            // the server closed the connection (an unrecoverable framing error): expected for some inputs
        }
        drain.join(Duration.ofSeconds(15));
        final boolean hung = drain.isAlive();
        replies.close();
        drain.join(Duration.ofSeconds(5));
        assertThat(hung).as("the server ended the session after the client's end of stream").isFalse();
        return sent;
    }

    private static byte[] validVersion() {
        return MessageEncoder.command(1, Version.of(0, 2, Capabilities.none().withMaxMsgFds(8))).toBytes();
    }

    private static void send(final UnixSocket socket, final byte[] bytes, final List<Fd> fds) throws IOException {
        if (bytes.length > 0) { // a mutation may leave nothing, and descriptors need a byte to travel with
            socket.send(ByteBuffer.wrap(bytes), fds.toArray(Fd[]::new));
        }
    }

    private static void assertServed(final VfioUserServer server) throws Exception {
        try (VfioUserClient c = VfioUserClient.connect(server.path(), new ClientOptions(ClientOptions.defaults()
                .proposal(), Duration.ofSeconds(10)))) {
            assertThat(c.deviceInfo().numRegions()).isEqualTo(9);
        }
    }
}
