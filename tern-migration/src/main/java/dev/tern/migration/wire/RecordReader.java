package dev.tern.migration.wire;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads and verifies records ({@link RecordCodec}) from a blocking channel. A record is returned only once its
 * length, CRC32C, sequence number, kind and flags have all been checked, so nothing corrupt is ever handed on.
 * <p>
 * Buffers: small records come through a 64 KiB direct read-ahead buffer (many records per {@code read}); a payload
 * larger than that is read straight into the payload buffer, one direct buffer sized to the largest payload seen
 * (at most {@code maxPayload}) and reused, so reading allocates no payload memory once warmed up. <b>The payload
 * of a returned {@link Record} is only valid until the next {@link #read()}</b>; callers copy what they keep.
 * <p>
 * Not thread-safe: one reading thread. Once {@code read()} has failed, every later call fails the same way.
 */
public final class RecordReader implements Closeable {
    private static final int READ_AHEAD = 64 * 1024;

    private static final java.util.HexFormat HEX = java.util.HexFormat.of();

    private final ReadableByteChannel channel;
    private final int maxPayload;
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_AHEAD).flip();
    private final RecordSeal seal;
    private final byte[] sent;
    private final byte[] computed;
    private ByteBuffer payload = ByteBuffer.allocateDirect(0);
    private int sequence;
    private long records;
    private long bytesRead;
    private IOException failure;

    /**
     * A reader that checks every record's trailer with {@code seal} and refuses a payload over {@code maxPayload}
     * before reading it.
     *
     * @param channel    a blocking channel; closed by {@link #close()}
     * @param maxPayload largest payload accepted, usually {@link Records#MAX_PAYLOAD}
     * @param seal       what the trailers are: CRC32C, or the peer's keyed MAC for this direction
     */
    public RecordReader(final ReadableByteChannel channel, final int maxPayload, final RecordSeal seal) {
        this.channel = Objects.requireNonNull(channel, "channel");
        if (maxPayload < 0) {
            throw new IllegalArgumentException("maxPayload must not be negative: " + maxPayload);
        }
        this.maxPayload = maxPayload;
        this.seal = Objects.requireNonNull(seal, "seal");
        this.sent = new byte[seal.size()];
        this.computed = new byte[seal.size()];
    }

    /**
     * A reader of CRC32C-sealed records (no session secret).
     *
     * @param channel    a blocking channel; closed by {@link #close()}
     * @param maxPayload largest payload accepted, with CRC32C trailers
     */
    public RecordReader(final ReadableByteChannel channel, final int maxPayload) {
        this(channel, maxPayload, RecordSeal.crc32c());
    }

    /**
     * A reader of CRC32C-sealed records of at most {@link Records#MAX_PAYLOAD} bytes.
     *
     * @param channel a blocking channel, with the default limit {@link Records#MAX_PAYLOAD}
     */
    public RecordReader(final ReadableByteChannel channel) {
        this(channel, Records.MAX_PAYLOAD);
    }

    /**
     * Reads the next record.
     *
     * @return the next verified record; its payload is valid until the next call
     * @throws EOFException           "peer closed the stream": the stream ended exactly at a record boundary
     * @throws CorruptStreamException the next bytes are not a valid next record, or the stream ends inside one
     * @throws IOException            the channel failed (reset, closed by another thread, ...)
     */
    public Record read() throws IOException {
        if (failure != null) {
            throw again(failure);
        }
        try {
            return next();
        } catch (final IOException e) {
            failure = e;
            throw e;
        }
    }

    private Record next() throws IOException {
        if (!fill(RecordCodec.HEADER_SIZE)) {
            if (in.remaining() == 0) {
                throw new EOFException("peer closed the stream");
            }
            throw corrupt("stream ended after " + in.remaining() + " of " + RecordCodec.HEADER_SIZE
                    + " header bytes");
        }
        final int at = in.position();
        final long length = RecordCodec.payloadLength(in, at);
        if (length > maxPayload) {
            throw corrupt("payload length " + length + " exceeds the limit of " + maxPayload);
        }
        final int kindCode = RecordCodec.kindCode(in, at);
        final int flags = RecordCodec.flags(in, at);
        final int deviceId = RecordCodec.deviceId(in, at);
        final int stored = RecordCodec.sequence(in, at);
        seal.reset();
        final int limit = in.limit();
        in.limit(at + RecordCodec.HEADER_SIZE);
        seal.update(in);
        in.limit(limit);
        readPayload((int) length);
        seal.update(payload);
        payload.position(0);
        if (!fill(sent.length)) {
            throw corrupt("stream ended after " + in.remaining() + " of " + sent.length + " trailer bytes");
        }
        in.get(sent);
        if (!seal.matches(sent, computed)) {
            throw corrupt(seal instanceof RecordSeal.Crc32c
                    ? String.format("CRC32C mismatch: stored 0x%s, computed 0x%s", HEX.formatHex(sent),
                            HEX.formatHex(computed))
                    : "MAC mismatch: the record was altered, forged or sent under another key");
        }
        if (stored != sequence) {
            throw corrupt("sequence number " + Integer.toUnsignedString(stored) + " where "
                    + Integer.toUnsignedString(sequence) + " was due (record missing, repeated or reordered)");
        }
        final Optional<RecordKind> kind = RecordKind.of(kindCode);
        if (kind.isEmpty()) {
            throw corrupt("unknown record kind " + kindCode);
        }
        if (flags != 0) {
            throw corrupt(String.format("reserved flags 0x%04x are not zero", flags));
        }
        sequence++;
        records++;
        bytesRead += RecordCodec.HEADER_SIZE + length + sent.length;
        return new Record(kind.get(), deviceId, payload.slice(0, (int) length).asReadOnlyBuffer());
    }

    /** Leaves the payload in {@link #payload} from 0 to {@code length}. */
    private void readPayload(final int length) throws IOException {
        if (payload.capacity() < length) {
            final long doubled = Math.min(2L * payload.capacity(), maxPayload);
            payload = ByteBuffer.allocateDirect((int) Math.max(length, doubled));
        }
        payload.clear().limit(length);
        if (length + sent.length <= in.capacity()) {
            if (!fill(length)) {
                throw truncatedPayload(in.remaining(), length);
            }
            final int limit = in.limit();
            in.limit(in.position() + length);
            payload.put(in);
            in.limit(limit);
        } else {
            final int limit = in.limit();
            in.limit(in.position() + Math.min(in.remaining(), length));
            payload.put(in);
            in.limit(limit);
            while (payload.hasRemaining()) {
                if (channel.read(payload) < 0) {
                    throw truncatedPayload(payload.position(), length);
                }
            }
        }
        payload.flip();
    }

    /**
     * Reads until {@link #in} holds at least {@code wanted} unread bytes ({@code wanted <= capacity}).
     *
     * @return false if the stream ended first (whatever arrived stays in {@link #in})
     */
    private boolean fill(final int wanted) throws IOException {
        if (in.remaining() >= wanted) {
            return true;
        }
        in.compact();
        try {
            while (in.position() < wanted) {
                if (channel.read(in) < 0) {
                    return false;
                }
            }
            return true;
        } finally {
            in.flip();
        }
    }

    private CorruptStreamException truncatedPayload(final int got, final int length) {
        return corrupt("stream ended after " + got + " of " + length + " payload bytes");
    }

    private CorruptStreamException corrupt(final String reason) {
        return new CorruptStreamException("record #" + Integer.toUnsignedString(sequence) + ": " + reason);
    }

    private static IOException again(final IOException first) {
        final IOException e = first instanceof CorruptStreamException
                ? new CorruptStreamException(first.getMessage())
                : first instanceof EOFException ? new EOFException(first.getMessage())
                : new IOException("stream failed earlier: " + first.getMessage());
        e.initCause(first);
        return e;
    }

    /**
     * {@return bytes of verified records read so far (headers, payloads, trailers)}
     */
    public long bytesRead() {
        return bytesRead;
    }

    /**
     * {@return verified records read so far}
     */
    public long records() {
        return records;
    }

    /** @return capacity of the reusable payload buffer; it grows only as real payloads need */
    int payloadCapacity() {
        return payload.capacity();
    }

    /** Closes the channel; a thread blocked in {@link #read()} on a socket channel gets an exception. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
