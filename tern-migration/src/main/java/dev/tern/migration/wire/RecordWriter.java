package dev.tern.migration.wire;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes records ({@link RecordCodec}) to a blocking channel. Each record goes out as one gathering write of
 * header, payload parts and trailer when the channel is a {@link GatheringByteChannel} (a {@code SocketChannel}
 * makes that one {@code writev}); the payload is never copied here.
 * <p>
 * Thread-safe: records are written one at a time and never interleave. After a failed write the stream may end
 * inside a record, so every later write fails too.
 */
public final class RecordWriter implements Closeable {
    private static final int USUAL_PARTS = 4;

    private final WritableByteChannel channel;
    private final GatheringByteChannel gathering;
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBuffer header = ByteBuffer.allocateDirect(RecordCodec.HEADER_SIZE);
    private final RecordSeal seal;
    private final ByteBuffer trailer;
    private final byte[] tag;
    private final ByteBuffer[] usual = new ByteBuffer[USUAL_PARTS + 2];
    private int sequence;
    private volatile long bytesWritten;
    private volatile long records;
    private IOException failure;

    /**
     * A writer of CRC32C-sealed records (no session secret).
     *
     * @param channel a blocking channel; closed by {@link #close()}
     */
    public RecordWriter(final WritableByteChannel channel) {
        this(channel, RecordSeal.crc32c());
    }

    /**
     * A writer that seals every record's trailer with {@code seal}.
     *
     * @param channel a blocking channel; closed by {@link #close()}
     * @param seal    what the trailers are: CRC32C, or this side's keyed MAC for this direction
     */
    public RecordWriter(final WritableByteChannel channel, final RecordSeal seal) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.gathering = channel instanceof GatheringByteChannel g ? g : null;
        this.seal = Objects.requireNonNull(seal, "seal");
        this.trailer = ByteBuffer.allocateDirect(seal.size());
        this.tag = new byte[seal.size()];
    }

    /**
     * Writes one record whose payload is the concatenation of the remaining bytes of {@code payload}; each
     * part's position advances to its limit.
     *
     * @param kind     the record kind
     * @param deviceId the device id (raw u32)
     * @param payload  payload parts, none for an empty payload
     * @throws IOException if the channel fails, now or in an earlier write
     */
    public void write(final RecordKind kind, final int deviceId, final ByteBuffer... payload) throws IOException {
        Objects.requireNonNull(kind, "kind");
        long length = 0;
        for (final ByteBuffer part : payload) {
            length += part.remaining();
        }
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("payload of " + length + " bytes is larger than a record can be");
        }
        lock.lock();
        try {
            if (failure != null) {
                throw new IOException("stream broken by an earlier write: " + failure.getMessage(), failure);
            }
            RecordCodec.putHeader(header, (int) length, kind.code(), 0, deviceId, sequence);
            header.clear();
            seal.reset();
            seal.update(header);
            for (final ByteBuffer part : payload) {
                final int start = part.position();
                seal.update(part);
                part.position(start);
            }
            header.clear();
            seal.finish(tag);
            trailer.clear();
            trailer.put(0, tag);
            try {
                send(payload, RecordCodec.HEADER_SIZE + length + tag.length);
            } catch (final IOException | RuntimeException e) {
                failure = e instanceof IOException io ? io : new IOException(e);
                throw e;
            }
            sequence++;
            records++;
            bytesWritten += RecordCodec.HEADER_SIZE + length + tag.length;
        } finally {
            lock.unlock();
        }
    }

    private void send(final ByteBuffer[] payload, final long total) throws IOException {
        final int count = payload.length + 2;
        final ByteBuffer[] parts = count <= usual.length ? usual : new ByteBuffer[count];
        parts[0] = header;
        System.arraycopy(payload, 0, parts, 1, payload.length);
        parts[count - 1] = trailer;
        try {
            if (gathering != null) {
                long left = total;
                while (left > 0) {
                    left -= gathering.write(parts, 0, count);
                }
            } else {
                for (int i = 0; i < count; i++) {
                    while (parts[i].hasRemaining()) {
                        channel.write(parts[i]);
                    }
                }
            }
        } finally {
            Arrays.fill(parts, 0, count, null);
        }
    }

    /**
     * {@return bytes of complete records written so far (headers, payloads, trailers)}
     */
    public long bytesWritten() {
        return bytesWritten;
    }

    /**
     * {@return records written so far}
     */
    public long records() {
        return records;
    }

    /** Closes the channel. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
