package dev.tern.vfiouser.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A flyweight over {@code struct vfio_user_region_access} in place (specification "VFIO_USER_REGION_READ",
 * "VFIO_USER_REGION_WRITE"): the fixed fields of REGION_READ and REGION_WRITE and of their replies, read straight
 * from a receive buffer without a record. It is the one home of their validation: the records' decoders
 * ({@link RegionRead}, {@link RegionReadReply}, {@link RegionWrite}, {@link RegionWriteReply}) check through it, and
 * so do the allocation-free paths of the server and the client, so both give the same errno for the same bytes.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: offset  u64, offset in the region                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  8: region  u32, region index                                 |
 *  +---------------------------------------------------------------+
 *  | 12: count   u32, bytes accessed (&lt;= max_data_xfer_size)       |
 *  +---------------------------------------------------------------+
 *  | 16: data (REGION_READ reply, REGION_WRITE request: count bytes)
 * </pre>
 *
 * Not thread-safe: one per receiving (or sending) thread, {@link #wrap re-pointed} per message.
 */
public final class RegionAccess {
    /** Size of the fixed fields. */
    public static final int SIZE = 16;
    /** Offset of {@code offset}. */
    public static final int OFFSET = 0;
    /** Offset of {@code region}. */
    public static final int REGION = 8;
    /** Offset of {@code count}. */
    public static final int COUNT = 12;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MemorySegment buffer = MemorySegment.NULL;
    private long base;
    private long length;

    /** A flyweight over nothing yet. */
    public RegionAccess() {
    }

    /**
     * Points this flyweight at a payload.
     *
     * @param payload memory holding the payload
     * @param at      where in {@code payload} it starts
     * @param size    the payload's length ({@code msg_size - 16})
     * @return this
     */
    public RegionAccess wrap(final MemorySegment payload, final long at, final long size) {
        this.buffer = payload;
        this.base = at;
        this.length = size;
        return this;
    }

    /** {@return u64 offset in the region; valid only when the payload holds the fixed fields} */
    public long offset() {
        return buffer.get(U64, base + OFFSET);
    }

    /** {@return u32 region index, raw bits} */
    public int region() {
        return buffer.get(U32, base + REGION);
    }

    /** {@return u32 count, raw bits} */
    public int count() {
        return buffer.get(U32, base + COUNT);
    }

    /** {@return the payload's length} */
    public long length() {
        return length;
    }

    /** {@return where the data after the fixed fields starts in the wrapped memory} */
    public long dataAt() {
        return base + SIZE;
    }

    /**
     * {@return why the payload is not exactly the fixed fields (REGION_READ request, REGION_WRITE reply), or null}
     */
    public String fixedProblem() {
        if (length < SIZE) {
            return tooShort("region_access", SIZE);
        }
        return length > SIZE ? (length - SIZE) + " unexpected trailing bytes" : null;
    }

    /**
     * {@return why the payload is not a valid REGION_READ request, or null}: exactly the fixed fields, a count within
     * {@code max_data_xfer_size}
     *
     * @param limits this receiver's limits
     */
    public String readRequestProblem(final CodecLimits limits) {
        final String fixed = fixedProblem();
        return fixed != null ? fixed : countProblem(limits);
    }

    /**
     * {@return why the payload is not fixed fields followed by exactly {@code count} data bytes within
     * {@code max_data_xfer_size} (REGION_READ reply, REGION_WRITE request), or null}
     *
     * @param limits this receiver's limits
     */
    public String withDataProblem(final CodecLimits limits) {
        if (length < SIZE) {
            return tooShort("region_access", SIZE);
        }
        final String count = countProblem(limits);
        if (count != null) {
            return count;
        }
        final long data = length - SIZE;
        final long want = Integer.toUnsignedLong(count());
        if (data < want) {
            return "payload too short for data (need " + want + ", have " + data + ")";
        }
        return data > want ? (data - want) + " unexpected trailing bytes" : null;
    }

    private String countProblem(final CodecLimits limits) {
        final long count = Integer.toUnsignedLong(count());
        return count > limits.maxDataXferSize() ? "count " + count + " exceeds max_data_xfer_size "
                + limits.maxDataXferSize() : null;
    }

    private String tooShort(final String field, final int need) {
        return "payload too short for " + field + " (need " + need + ", have " + length + ")";
    }

    /**
     * Writes the fixed fields at index {@code at} (absolute: the buffer's position does not move), little-endian.
     *
     * @param dst    a buffer with 16 bytes from {@code at}; its byte order becomes little-endian
     * @param at     where
     * @param offset u64 offset in the region
     * @param region u32 region index
     * @param count  u32 count
     */
    public static void write(final ByteBuffer dst, final int at, final long offset, final int region,
            final int count) {
        dst.order(ByteOrder.LITTLE_ENDIAN).putLong(at + OFFSET, offset).putInt(at + REGION, region)
                .putInt(at + COUNT, count);
    }
}
