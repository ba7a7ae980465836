package dev.tern.vfiouser.transport;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Allocates the u16 {@code msg_id}s of the commands one side sends (specification "Header": "chosen by the sender
 * and echoed in the reply"). Ids wrap after 65535; with at most a few commands in flight per side they never
 * collide with a pending one.
 */
public final class MsgIds {
    private final AtomicInteger next;

    /**
     * A counter that hands out 16-bit message ids from {@code first}, wrapping at 65536.
     *
     * @param first the first id to hand out (0 to 65535)
     */
    public MsgIds(final int first) {
        this.next = new AtomicInteger(first & 0xffff);
    }

    /** {@return the next id} */
    public int next() {
        return next.getAndIncrement() & 0xffff;
    }
}
