package dev.tern.device;

import java.lang.foreign.MemorySegment;

/**
 * One mapped range of the DMA space and what backs it.
 *
 * @param range the IOVA range
 * @param backing where the bytes are
 * @param writable false for a read-only mapping (the device may only read it)
 * @param peerToPeer true if the range is another device's memory (P2P DMA, refused in the *_P2P states)
 */
public record DmaMapping(DmaRange range, Backing backing, boolean writable, boolean peerToPeer) {

    /** Where a mapping's bytes live. */
    public sealed interface Backing permits Memory, Messages {
    }

    /**
     * Memory the device process has mapped (a shared-memory segment a VMM passed as an fd).
     *
     * @param segment the mapping; its first byte is the range's first IOVA
     */
    public record Memory(MemorySegment segment) implements Backing {
    }

    /**
     * Memory reached through transport messages.
     *
     * @param channel the transport's channel
     */
    public record Messages(DmaChannel channel) implements Backing {
    }

    /** Validates that memory backing covers the range. */
    public DmaMapping {
        if (backing instanceof Memory m && m.segment().byteSize() < range.length()) {
            throw new IllegalArgumentException("segment of " + m.segment().byteSize() + " bytes cannot back "
                    + range);
        }
    }
}
