package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DMA_WRITE (command 12) reply. Three shapes exist:
 *
 * <pre>
 *  specification, 12 bytes     libvfio-user, 16 bytes       QEMU: header only, 0 bytes
 *  +------------------------+  +------------------------+
 *  |  0: addr   u64         |  |  0: addr   u64         |
 *  |  8: count  u32         |  |  8: count  u64         |
 *  +------------------------+  +------------------------+
 * </pre>
 *
 * The specification ("VFIO_USER_DMA_WRITE", Reply) gives {@code u64 address, u32 count}. libvfio-user's
 * {@code vfu_dma_transfer} sends and expects {@code struct vfio_user_dma_region_access} (16 bytes, u64 count),
 * and QEMU's client answers with the bare header. We <b>emit 16 bytes</b>, because libvfio-user is the peer that
 * actually checks the reply length (its client code treats a reply shorter than the buffer it posted as an
 * error), and we <b>accept all three</b> on decode; the shape seen is kept in {@link #wireSize()}.
 *
 * @param addr     u64 DMA address (0 when the reply was header only)
 * @param count    bytes written (0 when the reply was header only)
 * @param wireSize 0, 12 or 16: the layout used on the wire
 */
public record DmaWriteReply(long addr, long count, int wireSize) implements Reply {
    /** Size Tern emits. */
    public static final int SIZE = 16;
    /** Size the specification gives. */
    public static final int SPEC_SIZE = 12;

    /** Checks the layout size and that a 12-byte count fits in a u32. */
    public DmaWriteReply {
        if (wireSize != 0 && wireSize != SPEC_SIZE && wireSize != SIZE) {
            throw new IllegalArgumentException("wireSize must be 0, 12 or 16: " + wireSize);
        }
        if (wireSize == SPEC_SIZE && (count & ~0xffff_ffffL) != 0) {
            throw new IllegalArgumentException("a 12-byte reply holds a u32 count: " + count);
        }
        if (wireSize == 0 && (addr != 0 || count != 0)) {
            throw new IllegalArgumentException("an empty reply has no addr or count");
        }
    }

    /**
     * {@return the 16-byte reply Tern sends}
     *
     * @param request the request being answered
     */
    public static DmaWriteReply of(final DmaWrite request) {
        return new DmaWriteReply(request.addr(), request.data().length(), SIZE);
    }

    @Override
    public Command command() {
        return Command.DMA_WRITE;
    }

    @Override
    public int payloadSize() {
        return wireSize;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        if (wireSize == SIZE) {
            dst.putLong(addr).putLong(count);
        } else if (wireSize == SPEC_SIZE) {
            dst.putLong(addr).putInt((int) count);
        }
    }

    static DmaWriteReply decode(final WireReader in) throws CodecException {
        return switch (in.remaining()) {
            case 0 -> new DmaWriteReply(0, 0, 0);
            case SPEC_SIZE -> new DmaWriteReply(in.u64("addr"), Integer.toUnsignedLong(in.u32("count")), SPEC_SIZE);
            case SIZE -> new DmaWriteReply(in.u64("addr"), in.u64("count"), SIZE);
            default -> throw CodecException.invalid("DMA_WRITE reply: " + in.remaining()
                    + " bytes, expected 0, 12 or 16");
        };
    }
}
