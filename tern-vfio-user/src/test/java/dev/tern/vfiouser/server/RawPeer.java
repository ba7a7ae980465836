package dev.tern.vfiouser.server;

import dev.tern.sys.Fd;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/** A client that writes raw bytes on the socket, for malformed-input tests. */
final class RawPeer implements AutoCloseable {
    /** The VERSION request libvfio-user's sample client sends (vfio-user.md §1.2). */
    static final byte[] LIBVFIO_USER_VERSION = concat(hex("55 da 01 00 52 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00"),
            cstring("{\"capabilities\":{\"max_msg_fds\":32,\"max_data_xfer_size\":1024}}"));

    private final UnixSocket socket;
    private final MessageChannel replies;

    private RawPeer(final UnixSocket socket) {
        this.socket = socket;
        this.replies = new MessageChannel(socket, CodecLimits.forDataXfer(4 << 20, 16));
    }

    static RawPeer connect(final Path path) throws IOException {
        return new RawPeer(UnixSocket.connect(path));
    }

    /** @return a peer that has negotiated with libvfio-user's VERSION bytes */
    static RawPeer negotiated(final Path path) throws IOException {
        final RawPeer p = connect(path);
        p.send(LIBVFIO_USER_VERSION);
        final Incoming.Message m = (Incoming.Message) p.receive();
        if (m.frame().header().isError()) {
            throw new IOException("VERSION refused: " + m.frame().header());
        }
        return p;
    }

    void send(final byte[] bytes, final Fd... fds) throws IOException {
        socket.send(ByteBuffer.wrap(bytes), fds);
    }

    void send(final ByteBuffer bytes) throws IOException {
        socket.send(bytes);
    }

    Incoming receive() {
        return replies.receive();
    }

    /** @return the header of the next reply */
    Header reply() {
        final Incoming in = receive();
        if (!(in instanceof Incoming.Message m)) {
            throw new AssertionError("expected a reply, got " + in);
        }
        m.closeFds();
        return m.frame().header();
    }

    /** @return a message: header with the given fields, then the payload */
    static byte[] message(final int id, final int cmd, final long msgSize, final int flags, final byte[] payload) {
        final ByteBuffer b = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) id).putShort((short) cmd).putInt((int) msgSize).putInt(flags).putInt(0).put(payload);
        return b.array();
    }

    /** @return a command whose msg_size matches its payload */
    static byte[] command(final int id, final int cmd, final byte[] payload) {
        return message(id, cmd, 16 + payload.length, 0, payload);
    }

    /** @return little-endian bytes of ints and longs (Integer / Long arguments) */
    static byte[] le(final Number... values) {
        int n = 0;
        for (final Number v : values) {
            n += v instanceof Long ? 8 : 4;
        }
        final ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        for (final Number v : values) {
            if (v instanceof Long l) {
                b.putLong(l);
            } else {
                b.putInt(v.intValue());
            }
        }
        return b.array();
    }

    static byte[] hex(final String s) {
        return HexFormat.of().parseHex(s.replace(" ", "").replace("|", ""));
    }

    static byte[] cstring(final String s) {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    static byte[] concat(final byte[] a, final byte[] b) {
        final byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void close() {
        replies.close();
    }
}
