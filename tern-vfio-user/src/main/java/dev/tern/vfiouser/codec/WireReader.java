package dev.tern.vfiouser.codec;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Bounds-checked little-endian cursor over one message payload. Every shortfall becomes a {@link CodecException}
 * with EINVAL ("payload too short"), so decoders never over-read.
 */
final class WireReader {
    /** The largest argsz libvfio-user accepts (1 MiB, {@code lib/dma.c}; vfio-user-interop.md L9). */
    static final long MAX_ARGSZ = 1L << 20;

    private final ByteBuffer buf;
    private final String what;

    WireReader(final ByteBuffer payload, final String what) {
        this.buf = payload.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
    }

    static WireReader of(final Blob payload, final String what) {
        return new WireReader(payload.asReadOnlyBuffer(), what);
    }

    int remaining() {
        return buf.remaining();
    }

    int position() {
        return buf.position();
    }

    /** @return the whole payload length */
    int length() {
        return buf.limit();
    }

    void need(final int n, final String field) throws CodecException {
        if (n < 0 || buf.remaining() < n) {
            throw CodecException.invalid(what + ": payload too short for " + field + " (need " + n + " more, have "
                    + buf.remaining() + ")");
        }
    }

    int u16(final String field) throws CodecException {
        need(2, field);
        return Short.toUnsignedInt(buf.getShort());
    }

    /** @return the raw 32 bits; callers treat them as unsigned where it matters */
    int u32(final String field) throws CodecException {
        need(4, field);
        return buf.getInt();
    }

    long u64(final String field) throws CodecException {
        need(8, field);
        return buf.getLong();
    }

    byte[] bytes(final long n, final String field) throws CodecException {
        if (n < 0 || n > buf.remaining()) {
            throw CodecException.invalid(what + ": payload too short for " + field + " (need " + n + ", have "
                    + buf.remaining() + ")");
        }
        final byte[] out = new byte[(int) n];
        buf.get(out);
        return out;
    }

    Blob blob(final long n, final String field) throws CodecException {
        return Blob.wrap(bytes(n, field));
    }

    /** @return everything not yet read */
    Blob rest() {
        final byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return Blob.wrap(out);
    }

    /** @return a flyweight over the unread rest of the payload, which it validates ({@link #check}) */
    RegionAccess regionAccess() {
        return new RegionAccess().wrap(MemorySegment.ofBuffer(buf), 0, buf.remaining());
    }

    /** Fails with EINVAL if a flyweight's validation found a {@code problem}. */
    void check(final String problem) throws CodecException {
        if (problem != null) {
            throw CodecException.invalid(what + ": " + problem);
        }
    }

    void position(final int pos) throws CodecException {
        if (pos < 0 || pos > buf.limit()) {
            throw CodecException.invalid(what + ": offset " + pos + " outside the payload");
        }
        buf.position(pos);
    }

    /** Fails if bytes are left over: the lengths announced by the fields do not match msg_size. */
    void end() throws CodecException {
        if (buf.hasRemaining()) {
            throw CodecException.invalid(what + ": " + buf.remaining() + " unexpected trailing bytes");
        }
    }

    /** Fails unless {@code argsz} (unsigned) is at least {@code min}. */
    void argszAtLeast(final int argsz, final long min) throws CodecException {
        if (Integer.toUnsignedLong(argsz) < min) {
            throw CodecException.invalid(what + ": argsz " + Integer.toUnsignedLong(argsz) + " < " + min);
        }
    }

    /**
     * Fails unless {@code min <= argsz <= max} (unsigned). A peer's argsz is room it claims for a reply or the size
     * of its request; it must never exceed what the message can mean, nor libvfio-user's 1 MiB (interop L9).
     */
    void argszWithin(final int argsz, final long min, final long max) throws CodecException {
        argszAtLeast(argsz, min);
        final long bound = Math.min(max, MAX_ARGSZ);
        if (Integer.toUnsignedLong(argsz) > bound) {
            throw CodecException.invalid(what + ": argsz " + Integer.toUnsignedLong(argsz) + " > " + bound);
        }
    }

    /** Fails if an unsigned data count exceeds the negotiated {@code max_data_xfer_size}. */
    void countWithin(final long count, final CodecLimits limits, final String field) throws CodecException {
        if (count < 0 || count > limits.maxDataXferSize()) {
            throw CodecException.invalid(what + ": " + field + " " + Long.toUnsignedString(count)
                    + " exceeds max_data_xfer_size " + limits.maxDataXferSize());
        }
    }
}
