package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a {@code struct vfio_region_info} and its capability chain: each {@code vfio_info_cap_header.next} is an
 * offset from the start of the info struct, 0 ends the chain. Every offset and count the kernel wrote is checked
 * against the buffer before it is followed or sizes anything.
 */
final class RegionCaps {
    private RegionCaps() {
    }

    static KernelRegion decode(final MemorySegment s, final int index, final int maxCaps) throws DeviceException {
        final int flags = s.get(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_FLAGS);
        final long size = s.get(ValueLayout.JAVA_LONG, VfioLayouts.REGION_INFO_SIZE);
        final long offset = s.get(ValueLayout.JAVA_LONG, VfioLayouts.REGION_INFO_OFFSET);
        int[] type = null;
        final List<long[]> areas = new ArrayList<>();
        long at = (flags & Vfio.REGION_INFO_FLAG_CAPS) != 0
                ? Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_CAP_OFFSET)) : 0;
        for (int n = 0; at != 0; n++) {
            if (n == maxCaps || at < VfioLayouts.REGION_INFO.byteSize()
                    || at + VfioLayouts.CAP_HEADER.byteSize() > s.byteSize() || at % 4 != 0) {
                throw new DeviceException(Errno.EPROTO, "region " + index + ": capability chain broken at offset "
                        + at);
            }
            final int id = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT, at + VfioLayouts.CAP_ID));
            if (id == Vfio.REGION_INFO_CAP_TYPE && at + VfioLayouts.CAP_TYPE.byteSize() <= s.byteSize()) {
                type = new int[] {s.get(ValueLayout.JAVA_INT, at + VfioLayouts.CAP_TYPE_TYPE),
                    s.get(ValueLayout.JAVA_INT, at + VfioLayouts.CAP_TYPE_SUBTYPE)};
            } else if (id == Vfio.REGION_INFO_CAP_SPARSE_MMAP) {
                sparse(s, at, index, areas);
            }
            at = Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, at + VfioLayouts.CAP_NEXT));
        }
        return new KernelRegion(index, flags, size, offset, type, List.copyOf(areas));
    }

    private static void sparse(final MemorySegment s, final long at, final int index, final List<long[]> areas)
            throws DeviceException {
        final long count = Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, at + VfioLayouts.CAP_SPARSE_NR_AREAS));
        final long first = at + VfioLayouts.CAP_SPARSE_MMAP.byteSize();
        if (first + count * VfioLayouts.SPARSE_AREA.byteSize() > s.byteSize()) {
            throw new DeviceException(Errno.EPROTO, "region " + index + ": " + count + " sparse mmap areas do not "
                    + "fit the " + s.byteSize() + "-byte reply");
        }
        for (long i = 0; i < count; i++) {
            final long a = first + i * VfioLayouts.SPARSE_AREA.byteSize();
            areas.add(new long[] {s.get(ValueLayout.JAVA_LONG, a + VfioLayouts.SPARSE_AREA_OFFSET),
                s.get(ValueLayout.JAVA_LONG, a + VfioLayouts.SPARSE_AREA_SIZE)});
        }
    }
}
