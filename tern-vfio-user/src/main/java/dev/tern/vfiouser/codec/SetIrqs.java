package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * DEVICE_SET_IRQS (command 8) request (specification "VFIO_USER_DEVICE_SET_IRQS"; {@code struct vfio_irq_set}).
 * The reply has no payload ({@link Ack}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32, size of this payload including data           |
 *  +---------------------------------------------------------------+
 *  |  4: flags  u32: one DATA_ flag   NONE 0x1, BOOL 0x2,          |
 *  |                                  EVENTFD 0x4                  |
 *  |                 one ACTION_ flag MASK 0x8, UNMASK 0x10,       |
 *  |                                  TRIGGER 0x20                 |
 *  +---------------------------------------------------------------+
 *  |  8: index  u32, IRQ index                                     |
 *  +---------------------------------------------------------------+
 *  | 12: start  u32, first sub-index                               |
 *  +---------------------------------------------------------------+
 *  | 16: count  u32, number of sub-indexes                         |
 *  +---------------------------------------------------------------+
 *  | 20: DATA_BOOL only: count bytes, one boolean per sub-index   ...
 *  +---------------------------------------------------------------+
 *   + DATA_EVENTFD: up to count eventfds out of band (none = de-assign)
 * </pre>
 *
 * "The flags are mutually exclusive for both sets" (specification), so a request with zero or several DATA_ or
 * ACTION_ flags, or unknown flags, is EINVAL.
 *
 * @param argsz    u32 argsz
 * @param flags    u32 flags
 * @param index    u32 IRQ index
 * @param start    u32 first sub-index
 * @param count    u32 number of sub-indexes
 * @param boolData the booleans with DATA_BOOL, else empty
 * @param fdCount  eventfds sent with DATA_EVENTFD, else 0
 */
public record SetIrqs(int argsz, int flags, int index, int start, int count, Blob boolData, int fdCount)
        implements Request {
    /** Size of the fixed part. */
    public static final int SIZE = 20;
    /** {@code VFIO_IRQ_SET_DATA_NONE}. */
    public static final int DATA_NONE = 1;
    /** {@code VFIO_IRQ_SET_DATA_BOOL}. */
    public static final int DATA_BOOL = 1 << 1;
    /** {@code VFIO_IRQ_SET_DATA_EVENTFD}. */
    public static final int DATA_EVENTFD = 1 << 2;
    /** {@code VFIO_IRQ_SET_ACTION_MASK}. */
    public static final int ACTION_MASK = 1 << 3;
    /** {@code VFIO_IRQ_SET_ACTION_UNMASK}. */
    public static final int ACTION_UNMASK = 1 << 4;
    /** {@code VFIO_IRQ_SET_ACTION_TRIGGER}. */
    public static final int ACTION_TRIGGER = 1 << 5;
    /** All DATA_ flags. */
    public static final int DATA_MASK = DATA_NONE | DATA_BOOL | DATA_EVENTFD;
    /** All ACTION_ flags. */
    public static final int ACTION_MASK_ALL = ACTION_MASK | ACTION_UNMASK | ACTION_TRIGGER;

    /** Checks for null and a non-negative fd count. */
    public SetIrqs {
        Objects.requireNonNull(boolData, "boolData");
        if (fdCount < 0) {
            throw new IllegalArgumentException("fdCount < 0");
        }
    }

    /**
     * {@return a DATA_EVENTFD request}
     *
     * @param action  one ACTION_ flag
     * @param index   IRQ index
     * @param start   first sub-index
     * @param count   number of sub-indexes
     * @param fdCount eventfds to send (0 de-assigns)
     */
    public static SetIrqs eventfds(final int action, final int index, final int start, final int count,
            final int fdCount) {
        return new SetIrqs(SIZE, DATA_EVENTFD | action, index, start, count, Blob.empty(), fdCount);
    }

    @Override
    public Command command() {
        return Command.DEVICE_SET_IRQS;
    }

    @Override
    public int payloadSize() {
        return SIZE + boolData.length();
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putInt(index).putInt(start).putInt(count);
        boolData.writeTo(dst);
    }

    static SetIrqs decode(final WireReader in, final int fds) throws CodecException {
        final int argsz = in.u32("argsz");
        final int flags = in.u32("flags");
        final int index = in.u32("index");
        final int start = in.u32("start");
        final int count = in.u32("count");
        if ((flags & ~(DATA_MASK | ACTION_MASK_ALL)) != 0 || Integer.bitCount(flags & DATA_MASK) != 1
                || Integer.bitCount(flags & ACTION_MASK_ALL) != 1) {
            throw CodecException.invalid("SET_IRQS: bad flags 0x" + Integer.toHexString(flags));
        }
        final long n = Integer.toUnsignedLong(count);
        final Blob data = (flags & DATA_BOOL) != 0 ? in.blob(n, "bool data") : Blob.empty();
        in.end();
        // argsz counts this payload; with eventfds the kernel's struct vfio_irq_set carries one s32 per vector
        in.argszWithin(argsz, SIZE + (long) data.length(), SIZE + Math.max(data.length(), 4 * n));
        if ((flags & DATA_EVENTFD) != 0 ? fds > n : fds != 0) {
            throw CodecException.invalid("SET_IRQS: " + fds + " fds for count " + n + " and flags 0x"
                    + Integer.toHexString(flags));
        }
        return new SetIrqs(argsz, flags, index, start, count, data, fds);
    }
}
