package dev.tern.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.vfio.uapi.Vfio;
import dev.tern.vfio.uapi.VfioLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Region info capability chains as the kernel writes them: TYPE then SPARSE_MMAP, and broken chains refused. */
class RegionCapsTest {

    @Test
    void aChainOfTypeAndSparseMmapIsDecoded() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = info(arena, 256);
            s.set(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_CAP_OFFSET, 32);
            cap(s, 32, Vfio.REGION_INFO_CAP_TYPE, 48);
            s.set(ValueLayout.JAVA_INT, 32 + VfioLayouts.CAP_TYPE_TYPE, 3);
            s.set(ValueLayout.JAVA_INT, 32 + VfioLayouts.CAP_TYPE_SUBTYPE, 1);
            cap(s, 48, Vfio.REGION_INFO_CAP_SPARSE_MMAP, 0);
            s.set(ValueLayout.JAVA_INT, 48 + VfioLayouts.CAP_SPARSE_NR_AREAS, 2);
            s.set(ValueLayout.JAVA_LONG, 64, 0x0);
            s.set(ValueLayout.JAVA_LONG, 72, 0x1000);
            s.set(ValueLayout.JAVA_LONG, 80, 0x3000);
            s.set(ValueLayout.JAVA_LONG, 88, 0x1000);
            final KernelRegion r = RegionCaps.decode(s, 2, 64);
            assertThat(r.size()).isEqualTo(0x4000);
            assertThat(r.offset()).isEqualTo(2L << Vfio.PCI_OFFSET_SHIFT);
            assertThat(r.type()).containsExactly(3, 1);
            assertThat(r.sparseAreas()).hasSize(2);
            assertThat(r.sparseAreas().get(1)).containsExactly(0x3000, 0x1000);
        }
    }

    @Test
    void aLoopingOrOutOfBoundsChainOrAnAbsurdAreaCountIsEPROTO() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment loop = info(arena, 128);
            loop.set(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_CAP_OFFSET, 32);
            cap(loop, 32, 99, 32);
            assertThatThrownBy(() -> RegionCaps.decode(loop, 0, 64)).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EPROTO));
            final MemorySegment out = info(arena, 128);
            out.set(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_CAP_OFFSET, 124);
            assertThatThrownBy(() -> RegionCaps.decode(out, 0, 64)).hasMessageContaining("chain broken");
            final MemorySegment many = info(arena, 128);
            many.set(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_CAP_OFFSET, 32);
            cap(many, 32, Vfio.REGION_INFO_CAP_SPARSE_MMAP, 0);
            many.set(ValueLayout.JAVA_INT, 32 + VfioLayouts.CAP_SPARSE_NR_AREAS, 0x7fffffff);
            assertThatThrownBy(() -> RegionCaps.decode(many, 0, 64)).hasMessageContaining("do not fit");
        }
    }

    private static MemorySegment info(final Arena arena, final int size) {
        final MemorySegment s = arena.allocate(size, 8);
        s.set(ValueLayout.JAVA_INT, VfioLayouts.REGION_INFO_FLAGS, Vfio.REGION_INFO_FLAG_READ
                | Vfio.REGION_INFO_FLAG_MMAP | Vfio.REGION_INFO_FLAG_CAPS);
        s.set(ValueLayout.JAVA_LONG, VfioLayouts.REGION_INFO_SIZE, 0x4000);
        s.set(ValueLayout.JAVA_LONG, VfioLayouts.REGION_INFO_OFFSET, 2L << Vfio.PCI_OFFSET_SHIFT);
        return s;
    }

    private static void cap(final MemorySegment s, final long at, final int id, final int next) {
        s.set(ValueLayout.JAVA_SHORT, at + VfioLayouts.CAP_ID, (short) id);
        s.set(ValueLayout.JAVA_SHORT, at + VfioLayouts.CAP_VERSION, (short) 1);
        s.set(ValueLayout.JAVA_INT, at + VfioLayouts.CAP_NEXT, next);
    }
}
