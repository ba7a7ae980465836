package dev.tern.device;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;

/**
 * A checksum of a large memory image for verifying migrations: CRC32C over the CRC32Cs of its 16 MiB chunks. The
 * chunks are independent, so both cores hash at once — this runs while a destination's devices are stopped,
 * inside the downtime — and the result does not depend on how many threads computed it.
 */
public final class StateChecksum {

    /** Chunk size; part of the definition (both sides of a migration must use the same). */
    public static final long CHUNK = 16L << 20;

    private StateChecksum() {
    }

    /**
     * {@return the checksum of {@code memory}, followed by {@code tail} (e.g. registers), if not null}
     *
     * @param memory the image; read from several threads, so it must not be confined (memfd mappings are shared)
     * @param tail bytes appended after the image (from position to limit), or {@code null}
     */
    public static long of(final MemorySegment memory, final ByteBuffer tail) {
        final long chunks = (memory.byteSize() + CHUNK - 1) / CHUNK;
        final long[] crcs = LongStream.range(0, chunks).parallel().map(i -> {
            final CRC32C crc = new CRC32C();
            final long off = i * CHUNK;
            crc.update(memory.asSlice(off, Math.min(CHUNK, memory.byteSize() - off)).asByteBuffer());
            return crc.getValue();
        }).toArray();
        final ByteBuffer all = ByteBuffer.allocate(crcs.length * 8);
        for (final long c : crcs) {
            all.putLong(c);
        }
        final CRC32C crc = new CRC32C();
        crc.update(all.flip());
        if (tail != null) {
            crc.update(tail);
        }
        return crc.getValue();
    }
}
