package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DEVICE_GET_INFO (command 4) request and reply; both use this layout (specification
 * "VFIO_USER_DEVICE_GET_INFO"; {@code struct vfio_user_device_info}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +---------------------------------------------------------------+
 *  |  0: argsz        u32, request: room for the reply (&gt;= 16)     |
 *  +---------------------------------------------------------------+
 *  |  4: flags        u32: RESET 1, PCI 2 (request: 0)             |
 *  +---------------------------------------------------------------+
 *  |  8: num_regions  u32 (request: 0)                             |
 *  +---------------------------------------------------------------+
 *  | 12: num_irqs     u32 (request: 0)                             |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * @param argsz      u32 argsz
 * @param flags      u32 {@code VFIO_DEVICE_FLAGS_*}
 * @param numRegions u32 number of regions
 * @param numIrqs    u32 number of IRQ indexes
 */
public record DeviceInfo(int argsz, int flags, int numRegions, int numIrqs) implements Request, Reply {
    /** Payload size. */
    public static final int SIZE = 16;
    /** {@code VFIO_DEVICE_FLAGS_RESET}: DEVICE_RESET is supported. */
    public static final int FLAG_RESET = 1;
    /** {@code VFIO_DEVICE_FLAGS_PCI}: a PCI device. */
    public static final int FLAG_PCI = 1 << 1;
    /**
     * Most regions a reply may claim. vfio-pci has 9 ({@code VFIO_PCI_NUM_REGIONS}) plus a few device-specific ones;
     * a client loops over every region, so a server claiming 2<sup>31</sup> is refused before anything is sized.
     */
    public static final int MAX_REGIONS = 256;
    /** Most IRQ indexes a reply may claim (vfio-pci has 5, {@code VFIO_PCI_NUM_IRQS}); same reason. */
    public static final int MAX_IRQS = 256;

    /** {@return the request: argsz 16, other fields 0} */
    public static DeviceInfo request() {
        return new DeviceInfo(SIZE, 0, 0, 0);
    }

    @Override
    public Command command() {
        return Command.DEVICE_GET_INFO;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putInt(argsz).putInt(flags).putInt(numRegions).putInt(numIrqs);
    }

    static DeviceInfo decode(final WireReader in, final boolean reply) throws CodecException {
        final DeviceInfo d = new DeviceInfo(in.u32("argsz"), in.u32("flags"), in.u32("num_regions"),
                in.u32("num_irqs"));
        in.end();
        if (!reply) {
            in.argszAtLeast(d.argsz, SIZE);
        } else if (Integer.toUnsignedLong(d.numRegions) > MAX_REGIONS
                || Integer.toUnsignedLong(d.numIrqs) > MAX_IRQS) {
            throw CodecException.invalid("DEVICE_GET_INFO reply claims " + Integer.toUnsignedLong(d.numRegions)
                    + " regions and " + Integer.toUnsignedLong(d.numIrqs) + " IRQ indexes; at most " + MAX_REGIONS
                    + " and " + MAX_IRQS + " are plausible");
        }
        return d;
    }
}
