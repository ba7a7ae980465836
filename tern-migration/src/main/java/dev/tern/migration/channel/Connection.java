package dev.tern.migration.channel;

import dev.tern.migration.wire.RecordReader;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.migration.wire.Records;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSocket;

/**
 * One TCP connection of a migration session, past its preamble: a {@link RecordWriter} and a {@link RecordReader}
 * over it. Plain connections use the {@link SocketChannel} directly (gathering writes, direct buffers); TLS ones
 * use the {@link SSLSocket}'s streams through a coalescing channel. One thread may write while another reads.
 */
public final class Connection implements Closeable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    private final SocketChannel channel;
    private final SSLSocket tls;
    private final ByteChannel stream;
    private volatile RecordWriter writer;
    private volatile RecordReader reader;
    private volatile boolean authenticated;
    private final String peer;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param channel connected, blocking, tuned
     * @param tls     the TLS socket layered over {@code channel} after its handshake, or null for plain TCP
     */
    Connection(final SocketChannel channel, final SSLSocket tls) throws IOException {
        this.channel = channel;
        this.tls = tls;
        this.stream = tls == null ? channel : new StreamChannel(tls.getInputStream(), tls.getOutputStream(), tls);
        this.writer = new RecordWriter(stream);
        this.reader = new RecordReader(stream, Records.MAX_PAYLOAD);
        this.peer = Transport.peer(channel);
    }

    /**
     * {@return the record writer of this connection (thread-safe)}
     */
    public RecordWriter writer() {
        return writer;
    }

    /**
     * {@return the record reader of this connection (one reading thread)}
     */
    public RecordReader reader() {
        return reader;
    }

    /**
     * {@return the remote end as {@code host:port}}
     */
    public String peer() {
        return peer;
    }

    /** Switches to keyed records once the session secret is proven (before any record is read or written). */
    void seal(final SessionAuth.Seals seals) {
        writer = new RecordWriter(stream, seals.outbound());
        reader = new RecordReader(stream, Records.MAX_PAYLOAD, seals.inbound());
        authenticated = true;
    }

    /**
     * {@return whether the peer proved the session secret and records carry a keyed MAC}
     */
    public boolean authenticated() {
        return authenticated;
    }

    /**
     * {@return whether this connection runs over TLS}
     */
    public boolean secure() {
        return tls != null;
    }

    /** For the preamble only: a view that honours {@link #timeout(int)} (channel reads ignore socket timeouts). */
    ReadableByteChannel timedInput() throws IOException {
        return tls == null ? Channels.newChannel(channel.socket().getInputStream()) : stream;
    }

    /** For the preamble only: the raw byte stream the records use. */
    WritableByteChannel output() {
        return stream;
    }

    /** Sets the read timeout seen by {@link #timedInput()}; 0 for none. */
    void timeout(final int millis) throws IOException {
        if (tls != null) {
            tls.setSoTimeout(millis);
        } else {
            channel.socket().setSoTimeout(millis);
        }
    }

    /**
     * Closes the connection (TLS: with close_notify, so the peer sees a clean end). Idempotent and never throws: a
     * failure to close cleanly (e.g. the peer has reset) is logged and the socket released anyway. A thread blocked
     * in {@link RecordReader#read()} on this connection gets an {@link IOException}.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (tls != null) {
                tls.close();
            }
        } catch (final IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing TLS to " + peer, e);
        } finally {
            try {
                channel.close();
            } catch (final IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing " + peer, e);
            }
        }
    }

    /**
     * Drops the connection abruptly: SO_LINGER 0 then close, so the peer gets a reset rather than an orderly end,
     * and TLS skips close_notify. For tests and for recovery from a peer that no longer reads.
     */
    public void abort() {
        try {
            if (channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (final IOException ignored) {
            // the socket is going away; only the close matters
        }
        closed.set(true);
        try {
            channel.close();
        } catch (final IOException ignored) {
            // nothing more to release
        }
    }

    @Override
    public String toString() {
        return "Connection[" + peer + (tls != null ? ", TLS" : "") + (authenticated ? ", authenticated" : "") + "]";
    }
}
