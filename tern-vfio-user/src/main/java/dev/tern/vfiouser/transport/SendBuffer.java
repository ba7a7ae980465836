package dev.tern.vfiouser.transport;

import dev.tern.sys.IoVector;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A reused direct send buffer of a {@link MessageChannel} (one for its framed sends, one for {@link LaidOutSender}),
 * used under the channel's send lock, with the one-entry {@link IoVector} that sends its first bytes: sending a
 * message laid out in place allocates nothing.
 */
final class SendBuffer {
    private ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
    private MemorySegment segment = MemorySegment.ofBuffer(buffer);
    private final IoVector vector = new IoVector(1);

    /** @return the buffer, grown to hold {@code size} bytes if needed */
    ByteBuffer ensure(final int size) {
        if (buffer.capacity() < size) {
            buffer = ByteBuffer.allocateDirect(Math.max(size, buffer.capacity() * 2));
            segment = MemorySegment.ofBuffer(buffer);
        }
        return buffer;
    }

    /** @return the whole buffer as a segment */
    MemorySegment segment() {
        return segment;
    }

    /** @return the first {@code size} bytes of the buffer, as the vector the socket sends */
    IoVector first(final int size) {
        vector.clear();
        vector.add(segment, 0, size);
        return vector;
    }
}
