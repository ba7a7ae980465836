package dev.tern.vfiouser.testing;

import dev.tern.sys.Fd;
import dev.tern.sys.UnixServerSocket;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A fake vfio-user server speaking raw bytes on a real UNIX socket, for hostile-server tests: it accepts one
 * client and runs a script on a daemon thread; what the script throws is kept for {@link #failure()}.
 */
public final class ScriptedServer implements AutoCloseable {
    /** What the server does with its one connection. */
    @FunctionalInterface
    public interface Script {
        /** @param c the accepted connection */
        void run(Conn c) throws Exception;
    }

    /** One accepted connection: read the client's messages, write any bytes. */
    public static final class Conn {
        private final UnixSocket socket;
        private final MessageChannel channel;

        Conn(final UnixSocket socket) {
            this.socket = socket;
            this.channel = new MessageChannel(socket, CodecLimits.forDataXfer(4 << 20, 16));
        }

        /** @return the client's next message (its fds closed) */
        public Frame receive() throws IOException {
            final Incoming in = channel.receive();
            if (!(in instanceof Incoming.Message m)) {
                throw new IOException("expected a message, got " + in);
            }
            m.closeFds();
            return m.frame();
        }

        /** Sends raw bytes, with optional fds attached to the first byte. */
        public void send(final byte[] bytes, final Fd... fds) throws IOException {
            socket.send(ByteBuffer.wrap(bytes), fds);
        }

        /** Reads the client's VERSION and answers it with {@code json} (major 0, minor 0). */
        public void answerVersion(final String json) throws IOException {
            final Frame v = receive();
            send(reply(v.header().msgId(), 1, concat(le(0), cstring(json))));
        }

        /** Blocks until the client closes the connection (or the server is closed). */
        public void awaitClose() {
            while (!(channel.receive() instanceof Incoming.Closed)) {
                // drop whatever else comes
            }
        }
    }

    private final UnixServerSocket listener;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile Conn conn;

    private ScriptedServer(final UnixServerSocket listener) {
        this.listener = listener;
    }

    /**
     * @param path   where to listen
     * @param script what to do with the first client
     * @return the running server
     */
    public static ScriptedServer start(final Path path, final Script script) throws IOException {
        final ScriptedServer s = new ScriptedServer(UnixServerSocket.listen(path));
        Thread.ofPlatform().daemon().name("scripted-server").start(() -> s.serve(script));
        return s;
    }

    private void serve(final Script script) {
        try {
            final Optional<UnixSocket> socket = listener.accept(Duration.ofSeconds(30));
            if (socket.isEmpty()) {
                throw new IOException("no client within 30 s");
            }
            conn = new Conn(socket.get());
            script.run(conn);
            done.complete(null);
        } catch (final Exception | AssertionError e) {
            done.completeExceptionally(e);
        }
    }

    /** @return the socket path */
    public Path path() {
        return listener.path();
    }

    /** @return what the script threw, if it ended with an exception */
    public Optional<Throwable> failure() {
        return done.isCompletedExceptionally() ? Optional.of(done.exceptionNow()) : Optional.empty();
    }

    /** @return a reply header + payload with {@code msg_size} matching */
    public static byte[] reply(final int id, final int cmd, final byte[] payload) {
        return message(id, cmd, Header.SIZE + payload.length, Header.TYPE_REPLY, 0, payload);
    }

    /** @return an error reply: the header with ERROR and {@code errno}, then {@code payload} (possibly none) */
    public static byte[] error(final int id, final int cmd, final int errno, final byte[] payload) {
        return message(id, cmd, Header.SIZE + payload.length, Header.TYPE_REPLY | Header.FLAG_ERROR, errno,
                payload);
    }

    /** @return a message with every header field as given (msg_size need not match) */
    public static byte[] message(final int id, final int cmd, final long msgSize, final int flags, final int errno,
            final byte[] payload) {
        final ByteBuffer b = ByteBuffer.allocate(Header.SIZE + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) id).putShort((short) cmd).putInt((int) msgSize).putInt(flags).putInt(errno).put(payload);
        return b.array();
    }

    /** @return little-endian u32s */
    public static byte[] le(final int... values) {
        final ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (final int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** @return UTF-8 bytes and a NUL */
    public static byte[] cstring(final String s) {
        return concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
    }

    /** @return a followed by b */
    public static byte[] concat(final byte[] a, final byte[] b) {
        final byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Stops listening and drops the connection. */
    @Override
    public void close() {
        listener.close();
        final Conn c = conn;
        if (c != null) {
            c.channel.close();
        }
    }
}
