package dev.tern.device.migration;

import dev.tern.sys.IoVector;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where a {@link MigrationStream} hands out its next bytes without copying them ({@link
 * MigrationStream#read(Gather, int)}): views of the device's memory appended to a reusable {@link IoVector}, which
 * the caller then sends with one gather {@code sendmsg}. Small bytes a source rewrites for its next record (a record
 * header) are staged here, in a scratch that lives as long as the views; so are the bytes of a source that can only
 * copy ({@link SaveSource#read(ByteBuffer, boolean)}). Reused: {@link #clear()} before each reply; in steady state
 * nothing is allocated. Used by one thread at a time.
 */
public final class Gather {
    private final IoVector vector;
    private ByteBuffer scratch = ByteBuffer.allocateDirect(256);
    private MemorySegment scratchSegment = MemorySegment.ofBuffer(scratch);
    private int staged;
    /** Appends the runs of a memfd range: data as views of its mapping, holes as zeros (made once, not per read). */
    private final SharedMemory.RunVisitor runs = new SharedMemory.RunVisitor() {
        @Override
        public void data(final MemorySegment mapping, final long from, final long to) {
            add(mapping, from, to - from);
        }

        @Override
        public void hole(final long from, final long to) {
            addZeros(to - from);
        }
    };

    /** A gather with room for a few pieces (it grows as needed). */
    public Gather() {
        this.vector = new IoVector(16);
    }

    /** Forgets every piece and the staged bytes. */
    public void clear() {
        vector.clear();
        staged = 0;
    }

    /** {@return what appends a memfd range's runs ({@link SharedMemory#visitRuns}) to this gather} */
    SharedMemory.RunVisitor runs() {
        return runs;
    }

    /** {@return the pieces, for the send} */
    public IoVector vector() {
        return vector;
    }

    /**
     * Appends a view: {@code length} bytes of {@code base} from {@code offset}, not copied.
     *
     * @param base native memory that stays as it is until the gather is sent (see
     *        {@link MigrationStream#read(Gather, int)} for how long that is)
     * @param offset first byte within {@code base}
     * @param length bytes
     */
    public void add(final MemorySegment base, final long offset, final long length) {
        vector.add(base, offset, length);
    }

    /**
     * Appends {@code length} zero bytes from the process's read-only zero mapping (no memory read or allocated).
     *
     * @param length bytes
     */
    public void addZeros(final long length) {
        vector.addZeros(length);
    }

    /**
     * Copies {@code length} bytes of {@code src} from {@code offset} into the scratch and appends them: for a few
     * bytes that will be rewritten before the gather is sent (a record header).
     *
     * @param src the bytes
     * @param offset first byte
     * @param length bytes
     */
    public void stage(final byte[] src, final int offset, final int length) {
        room(length);
        MemorySegment.copy(src, offset, scratchSegment, ValueLayout.JAVA_BYTE, staged, length);
        vector.add(scratchSegment, staged, length);
        staged += length;
    }

    /**
     * Scratch for a source that can only copy: up to {@code length} bytes, appended by {@link #commit(int)}.
     *
     * @param length bytes wanted at most
     * @return a buffer positioned at 0 with {@code length} bytes of room, little-endian (as the server's reply
     *         buffer that sources were handed before)
     */
    ByteBuffer scratch(final int length) {
        room(length);
        return scratch.slice(staged, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Appends the first {@code n} bytes written into the last {@link #scratch(int)}. */
    void commit(final int n) {
        vector.add(scratchSegment, staged, n);
        staged += n;
    }

    /** Makes room for {@code length} more staged bytes; earlier ones stay where the vector points (a new buffer). */
    private void room(final int length) {
        if (scratch.capacity() - staged >= length) {
            return;
        }
        scratch = ByteBuffer.allocateDirect(Math.max(length, 2 * scratch.capacity()));
        scratchSegment = MemorySegment.ofBuffer(scratch);
        staged = 0;
    }
}
