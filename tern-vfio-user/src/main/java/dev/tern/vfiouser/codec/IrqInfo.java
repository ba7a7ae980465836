package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DEVICE_GET_IRQ_INFO (command 7) request and reply; both use this layout (specification
 * "VFIO_USER_DEVICE_GET_IRQ_INFO"; {@code struct vfio_irq_info}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz  u32, request: room for the reply (&gt;= 16)           |
 *  +---------------------------------------------------------------+
 *  |  4: flags  u32: EVENTFD 1, MASKABLE 2, AUTOMASKED 4,          |
 *  |            NORESIZE 8 (request: 0)                            |
 *  +---------------------------------------------------------------+
 *  |  8: index  u32, IRQ index (e.g. VFIO_PCI_MSIX_IRQ_INDEX)      |
 *  +---------------------------------------------------------------+
 *  | 12: count  u32, number of interrupts (request: 0)             |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param argsz u32 argsz
 * @param flags u32 {@code VFIO_IRQ_INFO_*}
 * @param index u32 IRQ index
 * @param count u32 number of interrupts of this index
 */
public record IrqInfo(int argsz, int flags, int index, int count) implements Request, Reply {
    /** Payload size. */
    public static final int SIZE = 16;
    /** {@code VFIO_IRQ_INFO_EVENTFD}. */
    public static final int FLAG_EVENTFD = 1;
    /** {@code VFIO_IRQ_INFO_MASKABLE}. */
    public static final int FLAG_MASKABLE = 1 << 1;
    /** {@code VFIO_IRQ_INFO_AUTOMASKED}. */
    public static final int FLAG_AUTOMASKED = 1 << 2;
    /** {@code VFIO_IRQ_INFO_NORESIZE}. */
    public static final int FLAG_NORESIZE = 1 << 3;

    /**
     * {@return the request: argsz 16}
     *
     * @param index IRQ index
     */
    public static IrqInfo request(final int index) {
        return new IrqInfo(SIZE, 0, index, 0);
    }

    @Override
    public Command command() {
        return Command.DEVICE_GET_IRQ_INFO;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putInt(index).putInt(count);
    }

    static IrqInfo decode(final WireReader in, final boolean reply) throws CodecException {
        final IrqInfo i = new IrqInfo(in.u32("argsz"), in.u32("flags"), in.u32("index"), in.u32("count"));
        in.end();
        if (!reply) {
            in.argszAtLeast(i.argsz, SIZE);
        }
        return i;
    }
}
