package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.tern.sys.SharedMemory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class StateChecksumTest {

    @Test
    void equalImagesAgreeAndOneFlippedBitAnywhereDisagrees() {
        try (Arena arena = Arena.ofShared()) {
            final long size = 3 * StateChecksum.CHUNK + 4096; // a partial last chunk
            final MemorySegment a = arena.allocate(size);
            final MemorySegment b = arena.allocate(size);
            for (long off = 0; off < size; off += 8) {
                a.set(ValueLayout.JAVA_LONG, off, off * 0x9E3779B97F4A7C15L);
            }
            b.copyFrom(a);
            final long base = StateChecksum.of(a, null);
            assertThat(StateChecksum.of(b, null)).isEqualTo(base);
            for (final long at : new long[] {0, StateChecksum.CHUNK - 1, 2 * StateChecksum.CHUNK + 17, size - 1}) {
                b.set(ValueLayout.JAVA_BYTE, at, (byte) (b.get(ValueLayout.JAVA_BYTE, at) ^ 1));
                assertThat(StateChecksum.of(b, null)).as("bit flipped at " + at).isNotEqualTo(base);
                b.set(ValueLayout.JAVA_BYTE, at, (byte) (b.get(ValueLayout.JAVA_BYTE, at) ^ 1));
            }
            assertThat(StateChecksum.of(a, ByteBuffer.wrap(new byte[] {1}))).isNotEqualTo(base);
        }
    }

    @Test
    void aSparseMemfdHashesAsItsMappingWithoutItsHolesBeingAllocated() throws Exception {
        final long size = 2 * StateChecksum.CHUNK + 3 * 4096; // a partial last chunk
        try (SharedMemory m = SharedMemory.create("sparse-checksum", size)) {
            final MemorySegment s = m.segment();
            for (final long at : new long[] {0, 5 * 4096 + 9, StateChecksum.CHUNK - 1, StateChecksum.CHUNK,
                    StateChecksum.CHUNK + 12 * 4096, size - 1}) { // data at and across chunk edges
                s.set(ValueLayout.JAVA_BYTE, at, (byte) (at | 1));
            }
            final long blocks = AllocatedBlocks.of(m.fd().value());
            final long sparse = StateChecksum.of(m, ByteBuffer.wrap(new byte[] {7}));
            assertThat(AllocatedBlocks.of(m.fd().value())).as("blocks of the memfd after the checksum").isEqualTo(blocks);
            assertThat(sparse).as("same as reading every byte through the mapping")
                    .isEqualTo(StateChecksum.of(s, ByteBuffer.wrap(new byte[] {7})));
            s.set(ValueLayout.JAVA_BYTE, StateChecksum.CHUNK + 40 * 4096, (byte) 1); // in what was a hole
            assertThat(StateChecksum.of(m, ByteBuffer.wrap(new byte[] {7}))).isNotEqualTo(sparse);
        }
    }
}
