package dev.tern.device;

import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.function.LongUnaryOperator;
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
        return combine(memory.byteSize(), i -> {
            final CRC32C crc = new CRC32C();
            final long off = i * CHUNK;
            crc.update(memory.asSlice(off, Math.min(CHUNK, memory.byteSize() - off)).asByteBuffer());
            return crc.getValue();
        }, tail);
    }

    /**
     * {@return the checksum of {@code memory}'s mapping, followed by {@code tail}: equal to {@link
     * #of(MemorySegment, ByteBuffer)} of its segment, but the holes of the file (pages never written, found with
     * lseek(2) {@code SEEK_DATA}/{@code SEEK_HOLE}) are hashed from {@link SharedMemory#zeros()}, so a sparse
     * memfd is not faulted in (a read through a {@code MAP_SHARED} mapping allocates every page it touches)}
     *
     * @param memory the image, a mapping of a file that supports {@code SEEK_DATA} (memfd, tmpfs)
     * @param tail bytes appended after the image (from position to limit), or {@code null}
     */
    public static long of(final SharedMemory memory, final ByteBuffer tail) {
        final MemorySegment all = memory.segment();
        return combine(all.byteSize(), i -> sparseChunk(memory, all, i), tail);
    }

    /** The CRC32C of chunk {@code i}: its data read through the mapping, its holes from the zero source. */
    private static long sparseChunk(final SharedMemory memory, final MemorySegment all, final long i) {
        final CRC32C crc = new CRC32C();
        final long off = i * CHUNK;
        memory.visitRuns(off, Math.min(CHUNK, all.byteSize() - off), new SharedMemory.RunVisitor() {
            @Override
            public void data(final MemorySegment mapping, final long from, final long to) {
                crc.update(mapping.asSlice(from, to - from).asByteBuffer());
            }

            @Override
            public void hole(final long from, final long to) {
                for (long z = from; z < to; z += SharedMemory.ZEROS_BYTES) {
                    crc.update(SharedMemory.zeros().asSlice(0, Math.min(SharedMemory.ZEROS_BYTES, to - z))
                            .asByteBuffer());
                }
            }
        });
        return crc.getValue();
    }

    /** CRC32C over the chunks' CRC32Cs (computed in parallel), then {@code tail}. */
    private static long combine(final long size, final LongUnaryOperator chunkCrc, final ByteBuffer tail) {
        final long chunks = (size + CHUNK - 1) / CHUNK;
        final long[] crcs = LongStream.range(0, chunks).parallel().map(chunkCrc).toArray();
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
