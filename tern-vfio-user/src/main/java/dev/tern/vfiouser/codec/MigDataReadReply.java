package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * MIG_DATA_READ (command 17) reply (specification "VFIO_USER_MIG_DATA_READ").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32 = 8 + size                                     |
 *  +---------------------------------------------------------------+
 *  |  4: size   u32, bytes of migration data returned; less than   |
 *  |            requested means no more data (0 = end of stream)   |
 *  +---------------------------------------------------------------+
 *  |  8: data: size bytes, then (libvfio-user) zero padding up to  |
 *  |     the size requested                                       ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * libvfio-user always sends 8 + <i>requested</i> bytes, zero-padded, and its client code treats a shorter reply
 * than the buffer it posted as ECONNRESET; the specification does not require padding. So the decoder accepts any
 * payload of at least 8 + size bytes, {@link #data()} keeps everything after the fixed part, and
 * {@link #padded(Blob, int)} builds the padded form a libvfio-user client needs.
 *
 * @param argsz u32 argsz (8 + size)
 * @param size  u32 bytes of migration data
 * @param data  the bytes after the fixed part: the migration data, possibly followed by padding
 */
public record MigDataReadReply(int argsz, int size, Blob data) implements Reply {
    /** Checks that the data holds {@code size} bytes. */
    public MigDataReadReply {
        Objects.requireNonNull(data, "data");
        if (Integer.toUnsignedLong(size) > data.length()) {
            throw new IllegalArgumentException("size " + Integer.toUnsignedLong(size) + " > data " + data.length());
        }
    }

    /**
     * {@return the unpadded reply: argsz 8 + n, size n}
     *
     * @param chunk the migration data read (at most {@code requested} bytes)
     */
    public static MigDataReadReply of(final Blob chunk) {
        return new MigDataReadReply(MigDataRead.SIZE + chunk.length(), chunk.length(), chunk);
    }

    /**
     * {@return the reply as libvfio-user shapes it: argsz 8 + n, size n, data zero-padded to {@code requested}}
     *
     * @param chunk     the migration data read (at most {@code requested} bytes)
     * @param requested the request's size
     */
    public static MigDataReadReply padded(final Blob chunk, final int requested) {
        if (chunk.length() > requested) {
            throw new IllegalArgumentException("chunk larger than requested");
        }
        final byte[] padded = Arrays.copyOf(chunk.toArray(), requested);
        return new MigDataReadReply(MigDataRead.SIZE + chunk.length(), chunk.length(), Blob.wrap(padded));
    }

    /**
     * Checks a reply payload received without decoding (the client's lent buffer) as {@code decode} does.
     *
     * @param payload the reply's payload, little-endian, position to limit (not consumed)
     * @return its {@code size} (bytes of migration data after the fixed part), or -1 if the payload is malformed:
     *         shorter than the fixed part, or {@code size} beyond the bytes that follow it
     */
    public static int dataSize(final ByteBuffer payload) {
        if (payload.remaining() < MigDataRead.SIZE) {
            return -1;
        }
        final long size = Integer.toUnsignedLong(payload.getInt(payload.position() + 4));
        return size > payload.remaining() - MigDataRead.SIZE ? -1 : (int) size;
    }

    /** {@return the migration data without padding} */
    public Blob migrationData() {
        return size == data.length() ? data : Blob.wrap(Arrays.copyOf(data.toArray(), size));
    }

    @Override
    public Command command() {
        return Command.MIG_DATA_READ;
    }

    @Override
    public int payloadSize() {
        return MigDataRead.SIZE + data.length();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(size);
        data.writeTo(dst);
    }

    static MigDataReadReply decode(final WireReader in, final CodecLimits limits) throws CodecException {
        final int argsz = in.u32("argsz");
        final int size = in.u32("size");
        in.countWithin(Integer.toUnsignedLong(size), limits, "size");
        in.countWithin(in.remaining(), limits, "data");
        if (Integer.toUnsignedLong(size) > in.remaining()) {
            throw CodecException.invalid("MIG_DATA_READ reply: size " + Integer.toUnsignedLong(size) + " but "
                    + in.remaining() + " bytes of data");
        }
        return new MigDataReadReply(argsz, size, in.rest());
    }
}
