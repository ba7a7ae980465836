package dev.tern.vfiouser.testing;

import dev.tern.sys.UnixServerSocket;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A relay on real sockets between one client and a server that passes every message on unchanged (descriptors
 * included) and counts the client's commands by code, so a test can see how many of a command were put on the
 * wire (a read sent ahead, writes in flight) without touching either side.
 */
public final class CountingRelay implements AutoCloseable {
    private final UnixServerSocket listener;
    private final Path server;
    private final AtomicIntegerArray commands = new AtomicIntegerArray(64);
    private volatile MessageChannel toClient;
    private volatile MessageChannel toServer;

    private CountingRelay(final UnixServerSocket listener, final Path server) {
        this.listener = listener;
        this.server = server;
    }

    /**
     * @param path   where the client connects
     * @param server the server's socket
     * @return the relay, waiting for its one client on a daemon thread
     */
    public static CountingRelay start(final Path path, final Path server) throws IOException {
        final CountingRelay r = new CountingRelay(UnixServerSocket.listen(path), server);
        Thread.ofPlatform().daemon().name("relay-accept").start(r::accept);
        return r;
    }

    private void accept() {
        try {
            final Optional<UnixSocket> c = listener.accept(Duration.ofSeconds(30));
            if (c.isEmpty()) {
                return;
            }
            final CodecLimits limits = CodecLimits.forDataXfer(4 << 20, 16);
            toClient = new MessageChannel(c.get(), limits);
            toServer = new MessageChannel(UnixSocket.connect(server), limits);
            Thread.ofPlatform().daemon().name("relay-up").start(() -> pump(toClient, toServer, true));
            Thread.ofPlatform().daemon().name("relay-down").start(() -> pump(toServer, toClient, false));
        } catch (final IOException e) {
            close();
        }
    }

    private void pump(final MessageChannel from, final MessageChannel to, final boolean count) {
        try {
            while (from.receive() instanceof Incoming.Message m) {
                if (count && m.frame().header().isCommand()) {
                    commands.incrementAndGet(m.frame().header().command() & 63);
                }
                try {
                    to.send(m.frame(), m.fds());
                } finally {
                    m.closeFds();
                }
            }
        } catch (final IOException e) {
            // one side went away: so does the other
        } finally {
            close();
        }
    }

    /** @return the client's socket path */
    public Path path() {
        return listener.path();
    }

    /** @return how many {@code command}s the client sent so far */
    public int sent(final Command command) {
        return commands.get(command.code());
    }

    @Override
    public void close() {
        listener.close();
        final MessageChannel c = toClient;
        final MessageChannel s = toServer;
        if (c != null) {
            c.close();
        }
        if (s != null) {
            s.close();
        }
    }
}
