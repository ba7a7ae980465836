package dev.tern.vfiouser.codec;

import java.util.Optional;

/**
 * The vfio-user command numbers ({@code enum vfio_user_command}; specification section "Commands").
 * <p>
 * Number 14 is unused: it was {@code VFIO_USER_DIRTY_PAGES} in the v1 migration protocol and is neither listed in
 * the current specification nor accepted by libvfio-user, so {@link #of(int)} treats it like any other unknown
 * number.
 */
public enum Command {
    /** Version and capability negotiation; the first message of a connection. */
    VERSION(1, Direction.CLIENT_TO_SERVER),
    /** Make client memory available for DMA, optionally with an fd to mmap. */
    DMA_MAP(2, Direction.CLIENT_TO_SERVER),
    /** Withdraw client memory. */
    DMA_UNMAP(3, Direction.CLIENT_TO_SERVER),
    /** Device flags and region / IRQ counts. */
    DEVICE_GET_INFO(4, Direction.CLIENT_TO_SERVER),
    /** One region's {@code struct vfio_region_info} plus capabilities. */
    DEVICE_GET_REGION_INFO(5, Direction.CLIENT_TO_SERVER),
    /** ioeventfd / ioregionfd sub-regions of a region. */
    DEVICE_GET_REGION_IO_FDS(6, Direction.CLIENT_TO_SERVER),
    /** One IRQ index's {@code struct vfio_irq_info}. */
    DEVICE_GET_IRQ_INFO(7, Direction.CLIENT_TO_SERVER),
    /** {@code struct vfio_irq_set}: eventfds, mask, unmask, trigger. */
    DEVICE_SET_IRQS(8, Direction.CLIENT_TO_SERVER),
    /** Read from a device region. */
    REGION_READ(9, Direction.CLIENT_TO_SERVER),
    /** Write to a device region. */
    REGION_WRITE(10, Direction.CLIENT_TO_SERVER),
    /** Server reads client (guest) memory. */
    DMA_READ(11, Direction.SERVER_TO_CLIENT),
    /** Server writes client (guest) memory. */
    DMA_WRITE(12, Direction.SERVER_TO_CLIENT),
    /** Reset the device; the only command whose request may be empty. */
    DEVICE_RESET(13, Direction.CLIENT_TO_SERVER),
    /** Several small region writes in one message (capability {@code write_multiple}). */
    REGION_WRITE_MULTI(15, Direction.CLIENT_TO_SERVER),
    /** {@code VFIO_DEVICE_FEATURE} over the socket: migration and dirty logging. */
    DEVICE_FEATURE(16, Direction.CLIENT_TO_SERVER),
    /** Read a chunk of the migration data stream (source side). */
    MIG_DATA_READ(17, Direction.CLIENT_TO_SERVER),
    /** Write a chunk of the migration data stream (destination side). */
    MIG_DATA_WRITE(18, Direction.CLIENT_TO_SERVER);

    /** Who sends the command message (the reply travels the other way). */
    public enum Direction {
        /** Sent by the client (the VMM), answered by the server (the device). */
        CLIENT_TO_SERVER,
        /** Sent by the server, answered by the client; on the twin socket when negotiated. */
        SERVER_TO_CLIENT
    }

    private static final Command[] BY_CODE = new Command[19];

    static {
        for (final Command c : values()) {
            BY_CODE[c.code] = c;
        }
    }

    private final int code;
    private final Direction direction;

    Command(final int code, final Direction direction) {
        this.code = code;
        this.direction = direction;
    }

    /** {@return the number carried in {@code Header.cmd}} */
    public int code() {
        return code;
    }

    /** {@return who sends the command message} */
    public Direction direction() {
        return direction;
    }

    /**
     * {@return the command, or empty for 0, 14 and anything above 18}
     *
     * @param code a {@code cmd} value from a header (u16)
     */
    public static Optional<Command> of(final int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }
}
