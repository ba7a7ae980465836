package dev.tern.device.migration;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Records of a {@link PagedDevice}'s state stream (after the engine's {@link StreamHeader}). Each starts with a
 * 24-byte header, little-endian:
 *
 * <pre>
 *   0         4         8                   16                  24
 *   +---------+---------+-------------------+-------------------+
 *   |   tag   |    0    |         a         |         b         |
 *   +---------+---------+-------------------+-------------------+
 *
 *   CONFIG (1): a = memory size, b = page size (4096); first in every stream
 *   PAGES  (2): a = offset, b = length (both page-aligned); then b bytes of memory
 *   REGS   (3): a = {@link PagedDevice#registersSize()}; then the device's registers
 *   END    (4): a = page bytes sent; last record
 * </pre>
 *
 * A PAGES record carries a run of contiguous pages, so the source copies straight from device memory into the
 * caller's buffer and the destination straight into its staging memory. A page may come several times (pre-copy
 * rounds resend dirtied pages); the last copy wins. This is the dma-engine's format version 1, unchanged.
 */
final class PagedRecord {

    static final int HEADER = 24;
    static final int CONFIG = 1;
    static final int PAGES = 2;
    static final int REGS = 3;
    static final int END = 4;

    private PagedRecord() {
    }

    /** {@return an encoded header, positioned at 0} */
    static ByteBuffer header(final int tag, final long a, final long b) {
        return header(ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN), tag, a, b);
    }

    /** {@return {@code into} (little-endian, {@link #HEADER} bytes or more) holding an encoded header, from 0} */
    static ByteBuffer header(final ByteBuffer into, final int tag, final long a, final long b) {
        return into.clear().putInt(tag).putInt(0).putLong(a).putLong(b).flip();
    }
}
