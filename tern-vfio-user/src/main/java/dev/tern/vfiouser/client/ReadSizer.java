package dev.tern.vfiouser.client;

/**
 * Chooses the size of each MIG_DATA_READ. libvfio-user pads every reply to the size requested (vfio-user-interop.md
 * L5), so asking for 1 MiB when 12 KiB remain costs a 1,048,600-byte reply, inside the downtime in STOP_COPY.
 * <ul>
 * <li>When the remainder is known (Tern's server with the extension: PRECOPY_INFO in pre-copy, MIG_DATA_SIZE in
 * stop-copy), ask for what remains, at least {@value #FIRST} bytes.</li>
 * <li>Otherwise, or once the known remainder is used up, start at {@value #FIRST} bytes and double after every full
 * reply; a short reply (the end of a drain) starts over small.</li>
 * </ul>
 * Every size is capped by the transfer limit both sides accept and by the caller's buffer.
 */
final class ReadSizer {
    /** The first request when nothing is known, and the least ever asked for. */
    static final int FIRST = 4096;

    private final int cap;
    private long known = -1;
    private int next;

    /** @param cap the largest request ({@code max_data_xfer_size} of both sides) */
    ReadSizer(final int cap) {
        this.cap = Math.max(1, cap);
        this.next = Math.min(FIRST, this.cap);
    }

    /** @param remaining bytes the device says remain, or -1 if it cannot say */
    void expect(final long remaining) {
        known = remaining > 0 ? remaining : -1;
        next = Math.min(FIRST, cap);
    }

    /**
     * @param room bytes the caller can take
     * @return the size to request
     */
    int size(final int room) {
        final long want = known > 0 ? Math.max(known, FIRST) : next;
        return (int) Math.min(Math.min(want, cap), room);
    }

    /**
     * @param requested the size asked for
     * @param got       the size of the reply's data
     */
    void replied(final int requested, final int got) {
        if (got < requested) {
            known = -1;
            next = Math.min(FIRST, cap);
        } else if (known > 0) {
            known = known > got ? known - got : -1;
        } else {
            next = (int) Math.min(cap, 2L * next);
        }
    }
}
