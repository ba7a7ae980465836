package dev.tern.vfiouser.transport;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * A reused direct send buffer of a {@link MessageChannel} (one for its framed sends, one for {@link LaidOutSender}),
 * used under the channel's send lock. The socket's send takes a list of
 * segments; for a message of up to {@value #CACHED} bytes the one-element list of the buffer's first bytes is made
 * once per length and kept, so sending a small message laid out in place allocates nothing.
 */
final class SendBuffer {
    /** Messages up to this size are sent from a cached list. */
    static final int CACHED = 2048;

    private ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
    private MemorySegment segment = MemorySegment.ofBuffer(buffer);
    private final List<?>[] firsts = new List<?>[CACHED];

    /** @return the buffer, grown to hold {@code size} bytes if needed (cached lists of the old one are dropped) */
    ByteBuffer ensure(final int size) {
        if (buffer.capacity() < size) {
            buffer = ByteBuffer.allocateDirect(Math.max(size, buffer.capacity() * 2));
            segment = MemorySegment.ofBuffer(buffer);
            Arrays.fill(firsts, null);
        }
        return buffer;
    }

    /** @return the whole buffer as a segment */
    MemorySegment segment() {
        return segment;
    }

    /** @return the first {@code size} bytes of the buffer, as a one-element list for the socket's send */
    @SuppressWarnings("unchecked")
    List<MemorySegment> first(final int size) {
        if (size >= CACHED) {
            return List.of(segment.asSlice(0, size));
        }
        if (firsts[size] == null) {
            firsts[size] = List.of(segment.asSlice(0, size));
        }
        return (List<MemorySegment>) firsts[size];
    }
}
