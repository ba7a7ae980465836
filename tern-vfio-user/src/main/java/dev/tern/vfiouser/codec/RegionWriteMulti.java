package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * REGION_WRITE_MULTI (command 15) request: several small region writes coalesced (specification
 * "VFIO_USER_REGION_WRITE_MULTI"; only sent if the peer announced {@code write_multiple}; libvfio-user does not
 * implement it and answers EINVAL).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: wr_cnt  u64, number of writes                             |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  8: wr_cnt x 24-byte write:                                   |
 *  |     +0  offset  u64                                           |
 *  |     +8  region  u32                                           |
 *  |     +12 count   u32 (&lt;= 8)                                    |
 *  |     +16 data    8 bytes, the first count of them are written ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param writes the writes, in order
 */
public record RegionWriteMulti(List<Write> writes) implements Request {
    /** Size of one write entry. */
    public static final int ENTRY_SIZE = 24;
    /** Most data bytes one entry can carry. */
    public static final int MAX_DATA = 8;

    /**
     * One coalesced write.
     *
     * @param offset u64 offset in the region
     * @param region u32 region index
     * @param data   1 to 8 bytes to write (count = data length); padded with zeros on the wire
     */
    public record Write(long offset, int region, Blob data) {
        /** Checks the data length. */
        public Write {
            Objects.requireNonNull(data, "data");
            if (data.length() > MAX_DATA) {
                throw new IllegalArgumentException("at most 8 data bytes per write");
            }
        }
    }

    /** Copies the list. */
    public RegionWriteMulti {
        writes = List.copyOf(writes);
    }

    @Override
    public Command command() {
        return Command.REGION_WRITE_MULTI;
    }

    @Override
    public int payloadSize() {
        return 8 + ENTRY_SIZE * writes.size();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putLong(writes.size());
        for (final Write w : writes) {
            dst.putLong(w.offset()).putInt(w.region()).putInt(w.data().length());
            w.data().writeTo(dst);
            for (int i = w.data().length(); i < MAX_DATA; i++) {
                dst.put((byte) 0);
            }
        }
    }

    static RegionWriteMulti decode(final WireReader in) throws CodecException {
        final long n = in.u64("wr_cnt");
        if (n < 0 || n > in.remaining() / ENTRY_SIZE || n * ENTRY_SIZE != in.remaining()) {
            throw CodecException.invalid("REGION_WRITE_MULTI: wr_cnt " + Long.toUnsignedString(n)
                    + " does not match " + in.remaining() + " bytes of writes");
        }
        final List<Write> writes = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            final long offset = in.u64("offset");
            final int region = in.u32("region");
            final int count = in.u32("count");
            if (Integer.toUnsignedLong(count) > MAX_DATA) {
                throw CodecException.invalid("REGION_WRITE_MULTI: count " + Integer.toUnsignedLong(count)
                        + " > 8");
            }
            final byte[] data = in.bytes(MAX_DATA, "data");
            writes.add(new Write(offset, region, Blob.wrap(Arrays.copyOf(data, count))));
        }
        return new RegionWriteMulti(writes);
    }
}
