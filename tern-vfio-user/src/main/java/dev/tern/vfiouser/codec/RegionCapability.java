package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One entry of the capability chain after a {@code struct vfio_region_info} (specification "VFIO region
 * capabilities"). Every entry starts with {@code struct vfio_info_cap_header}:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +-------------------------------+-------------------------------+
 *  |  0: id                u16     |  2: version           u16     |
 *  +-------------------------------+-------------------------------+
 *  |  4: next   u32, offset of the next entry from the start of    |
 *  |            vfio_region_info; 0 ends the chain                 |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public sealed interface RegionCapability {
    /** Size of {@code struct vfio_info_cap_header}. */
    int HEADER_SIZE = 8;
    /** {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP}. */
    int ID_SPARSE_MMAP = 1;
    /** {@code VFIO_REGION_INFO_CAP_TYPE}. */
    int ID_TYPE = 2;

    /** {@return the capability id} */
    int id();

    /** {@return the size of the entry including its 8-byte header} */
    int size();

    /**
     * Writes the entry body after the header.
     *
     * @param dst little-endian buffer
     */
    void writeBody(ByteBuffer dst);

    /**
     * A mappable area of a sparse region.
     *
     * @param offset u64 offset within the region
     * @param size   u64 size
     */
    record Area(long offset, long size) {
    }

    /**
     * {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP} (id 1, version 1): which parts of the region may be mmapped.
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: cap header (id 1, version 1, next)                        |
     *  +---------------------------------------------------------------+
     *  |  8: nr_areas  u32                                             |
     *  +---------------------------------------------------------------+
     *  | 12: reserved  u32                                             |
     *  +---------------------------------------------------------------+
     *  | 16: nr_areas x {u64 offset, u64 size}                        ...
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param areas the areas
     */
    record SparseMmap(List<Area> areas) implements RegionCapability {
        /** Copies the list. */
        public SparseMmap {
            areas = List.copyOf(areas);
        }

        @Override
        public int id() {
            return ID_SPARSE_MMAP;
        }

        @Override
        public int size() {
            return HEADER_SIZE + 8 + 16 * areas.size();
        }

        @Override
        public void writeBody(final ByteBuffer dst) {
            dst.putInt(areas.size()).putInt(0);
            for (final Area a : areas) {
                dst.putLong(a.offset()).putLong(a.size());
            }
        }
    }

    /**
     * {@code VFIO_REGION_INFO_CAP_TYPE} (id 2, version 1): a device-specific region's type and subtype.
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: cap header (id 2, version 1, next)                        |
     *  +---------------------------------------------------------------+
     *  |  8: type     u32                                              |
     *  +---------------------------------------------------------------+
     *  | 12: subtype  u32                                              |
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param type    u32 region type
     * @param subtype u32 region subtype
     */
    record Type(int type, int subtype) implements RegionCapability {
        @Override
        public int id() {
            return ID_TYPE;
        }

        @Override
        public int size() {
            return HEADER_SIZE + 8;
        }

        @Override
        public void writeBody(final ByteBuffer dst) {
            dst.putInt(type).putInt(subtype);
        }
    }

    /**
     * A capability we do not interpret; kept byte for byte.
     *
     * @param id      u16 id
     * @param version u16 version
     * @param body    the bytes after the header up to the next entry (or the end of the payload)
     */
    record Unknown(int id, int version, Blob body) implements RegionCapability {
        /** Checks the u16 fields. */
        public Unknown {
            Objects.requireNonNull(body, "body");
            if ((id & ~0xffff) != 0 || (version & ~0xffff) != 0) {
                throw new IllegalArgumentException("id and version are u16");
            }
        }

        @Override
        public int size() {
            return HEADER_SIZE + body.length();
        }

        @Override
        public void writeBody(final ByteBuffer dst) {
            body.writeTo(dst);
        }
    }

    /** {@return the version written in the header: 1 for the known capabilities} */
    default int version() {
        return 1;
    }

    /**
     * Writes the chain, entries back to back starting at {@code base} bytes from the start of the region info.
     *
     * @param caps the entries
     * @param base offset of the first entry from the start of {@code vfio_region_info}
     * @param dst  little-endian buffer positioned at the first entry
     */
    static void writeChain(final List<RegionCapability> caps, final int base, final ByteBuffer dst) {
        int at = base;
        for (int i = 0; i < caps.size(); i++) {
            final RegionCapability c = caps.get(i);
            final int next = i + 1 < caps.size() ? at + c.size() : 0;
            dst.putShort((short) c.id()).putShort((short) c.version()).putInt(next);
            c.writeBody(dst);
            at += c.size();
        }
    }

    /**
     * Walks the chain. Each {@code next} must point past the current entry's header and stay inside the payload;
     * offsets must strictly increase, which bounds the walk and rejects loops.
     *
     * @param in     reader over the whole reply payload
     * @param first  {@code cap_offset}
     * @return the entries in chain order
     * @throws CodecException EINVAL for a chain that leaves the payload, loops, or has a short entry
     */
    static List<RegionCapability> readChain(final WireReader in, final int first) throws CodecException {
        final List<RegionCapability> caps = new ArrayList<>();
        long at = Integer.toUnsignedLong(first);
        long min = RegionInfoReply.SIZE;
        while (at != 0) {
            if (at < min || at + HEADER_SIZE > in.length()) {
                throw CodecException.invalid("REGION_INFO: capability offset " + at + " outside "
                        + min + ".." + in.length());
            }
            in.position((int) at);
            final int id = in.u16("cap.id");
            final int version = in.u16("cap.version");
            final long next = Integer.toUnsignedLong(in.u32("cap.next"));
            final long end = next == 0 ? in.length() : next;
            if (next != 0 && next < at + HEADER_SIZE) {
                throw CodecException.invalid("REGION_INFO: capability chain goes backwards at " + at);
            }
            if (end > in.length()) {
                throw CodecException.invalid("REGION_INFO: capability next " + next + " beyond the payload");
            }
            final int bodyLen = (int) (end - at - HEADER_SIZE);
            caps.add(switch (id) {
                case ID_SPARSE_MMAP -> readSparse(in, bodyLen);
                case ID_TYPE -> new Type(in.u32("cap.type"), in.u32("cap.subtype"));
                default -> new Unknown(id, version, in.blob(bodyLen, "cap body"));
            });
            if (in.position() > end) {
                throw CodecException.invalid("REGION_INFO: capability " + id + " overlaps the next one");
            }
            min = at + HEADER_SIZE;
            at = next;
        }
        return caps;
    }

    private static SparseMmap readSparse(final WireReader in, final int bodyLen) throws CodecException {
        final long nr = Integer.toUnsignedLong(in.u32("sparse.nr_areas"));
        in.u32("sparse.reserved");
        if (nr * 16 > bodyLen - 8L) {
            throw CodecException.invalid("REGION_INFO: sparse mmap nr_areas " + nr + " does not fit");
        }
        final List<Area> areas = new ArrayList<>((int) nr);
        for (long i = 0; i < nr; i++) {
            areas.add(new Area(in.u64("area.offset"), in.u64("area.size")));
        }
        return new SparseMmap(areas);
    }
}
