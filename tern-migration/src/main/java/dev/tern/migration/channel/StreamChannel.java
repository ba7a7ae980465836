package dev.tern.migration.channel;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A byte channel over the streams of a TLS socket. Unlike {@code Channels.newChannel(out)}, a gathering write
 * (one record: header, payload, trailer) is coalesced into full 16 KiB chunks, the largest TLS record, so the
 * socket emits maximal TLS records and a record's header and trailer never travel as TLS records of their own.
 * Reads take up to one TLS record's worth at a time.
 */
final class StreamChannel implements ByteChannel, GatheringByteChannel {
    /** Largest plaintext of one TLS record (RFC 8446 section 5.1). */
    private static final int CHUNK = 16 * 1024;

    private final InputStream in;
    private final OutputStream out;
    private final Closeable owner;
    private final byte[] readChunk = new byte[CHUNK];
    private final byte[] writeChunk = new byte[CHUNK];
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile boolean open = true;

    /**
     * @param in    the socket's input
     * @param out   the socket's output
     * @param owner closed by {@link #close()}
     */
    StreamChannel(final InputStream in, final OutputStream out, final Closeable owner) {
        this.in = in;
        this.out = out;
        this.owner = owner;
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        readLock.lock();
        try {
            final int n = in.read(readChunk, 0, Math.min(dst.remaining(), CHUNK));
            if (n > 0) {
                dst.put(readChunk, 0, n);
            }
            return n;
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public long write(final ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
        writeLock.lock();
        try {
            long total = 0;
            int fill = 0;
            for (int i = offset; i < offset + length; i++) {
                final ByteBuffer src = srcs[i];
                while (src.hasRemaining()) {
                    final int n = Math.min(src.remaining(), CHUNK - fill);
                    src.get(writeChunk, fill, n);
                    fill += n;
                    total += n;
                    if (fill == CHUNK) {
                        out.write(writeChunk, 0, fill);
                        fill = 0;
                    }
                }
            }
            if (fill > 0) {
                out.write(writeChunk, 0, fill);
            }
            out.flush();
            return total;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        open = false;
        owner.close();
    }
}
