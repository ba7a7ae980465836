package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
}
