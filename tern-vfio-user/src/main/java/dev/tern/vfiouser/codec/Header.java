package dev.tern.vfiouser.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Optional;

/**
 * The 16-byte header that precedes every vfio-user message (specification section "Header";
 * {@code struct vfio_user_header}). Little-endian, packed.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +-------------------------------+-------------------------------+
 *  |  0: msg_id            u16     |  2: cmd               u16     |
 *  +-------------------------------+-------------------------------+
 *  |  4: msg_size          u32, whole message including this header |
 *  +---------------------------------------------------------------+
 *  |  8: flags             u32                                     |
 *  |     bits 0-3 type (0 command, 1 reply), bit 4 NO_REPLY,       |
 *  |     bit 5 ERROR, bits 6-31 reserved                           |
 *  +---------------------------------------------------------------+
 *  | 12: error_no          u32, errno when ERROR is set in a reply |
 *  +---------------------------------------------------------------+
 *  | 16: payload (msg_size - 16 bytes) ...
 * </pre>
 *
 * Example from the wire (a REGION_READ id 0xf00f failed with EINVAL):
 * {@code 0f f0 09 00 10 00 00 00 21 00 00 00 16 00 00 00}.
 *
 * @param msgId       u16, chosen by the sender of a command and echoed in its reply
 * @param command     u16 command number, kept raw so an unknown number can still be answered
 * @param messageSize u32 {@code msg_size} (0 to 2<sup>32</sup>-1), including the 16 header bytes
 * @param flags       u32 flags, raw bits
 * @param errorNo     u32 {@code error_no}, raw bits
 */
public record Header(int msgId, int command, long messageSize, int flags, int errorNo) {
    /** Size of the header on the wire. */
    public static final int SIZE = 16;
    /** Mask of the type field in {@link #flags()}. */
    public static final int TYPE_MASK = 0xf;
    /** Type value of a command message. */
    public static final int TYPE_COMMAND = 0;
    /** Type value of a reply message. */
    public static final int TYPE_REPLY = 1;
    /** Flag: the sender of this command wants no reply. */
    public static final int FLAG_NO_REPLY = 0x10;
    /** Flag: this reply reports an error in {@link #errorNo()}. */
    public static final int FLAG_ERROR = 0x20;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE_SHORT = MethodHandles.byteArrayViewVarHandle(short[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class,
            ByteOrder.LITTLE_ENDIAN);

    /** Validates the unsigned ranges of the fields. */
    public Header {
        if ((msgId & ~0xffff) != 0 || (command & ~0xffff) != 0) {
            throw new IllegalArgumentException("msg_id and cmd are u16: " + msgId + ", " + command);
        }
        if (messageSize < 0 || messageSize > 0xffff_ffffL) {
            throw new IllegalArgumentException("msg_size is u32: " + messageSize);
        }
    }

    /**
     * {@return the header of a command message}
     *
     * @param msgId       the sender's id
     * @param command     the command
     * @param payloadSize bytes after the header
     * @param noReply     whether to set NO_REPLY
     */
    public static Header command(final int msgId, final Command command, final int payloadSize,
            final boolean noReply) {
        return new Header(msgId, command.code(), SIZE + (long) payloadSize,
                TYPE_COMMAND | (noReply ? FLAG_NO_REPLY : 0), 0);
    }

    /**
     * {@return the header of a successful reply}
     *
     * @param msgId       the id of the command being answered
     * @param command     the command being answered
     * @param payloadSize bytes after the header
     */
    public static Header reply(final int msgId, final Command command, final int payloadSize) {
        return new Header(msgId, command.code(), SIZE + (long) payloadSize, TYPE_REPLY, 0);
    }

    /**
     * An error reply is the header alone (specification: "If an error occurs, the reply message must only include
     * the reply header").
     *
     * @param msgId   the id of the command being answered
     * @param command the raw command number being answered (it may be one we do not know)
     * @param errno   the errno to report
     * @return a reply header with ERROR set
     */
    public static Header error(final int msgId, final int command, final int errno) {
        return new Header(msgId, command, SIZE, TYPE_REPLY | FLAG_ERROR, errno);
    }

    /** {@return the type field, bits 0-3 of the flags} */
    public int type() {
        return flags & TYPE_MASK;
    }

    /** {@return whether the type is {@link #TYPE_REPLY}} */
    public boolean isReply() {
        return type() == TYPE_REPLY;
    }

    /** {@return whether the type is {@link #TYPE_COMMAND}} */
    public boolean isCommand() {
        return type() == TYPE_COMMAND;
    }

    /** {@return whether NO_REPLY is set} */
    public boolean noReply() {
        return (flags & FLAG_NO_REPLY) != 0;
    }

    /** {@return whether ERROR is set} */
    public boolean isError() {
        return (flags & FLAG_ERROR) != 0;
    }

    /** {@return the known command, or empty for an unknown number} */
    public Optional<Command> knownCommand() {
        return Command.of(command);
    }

    /** {@return payload bytes announced by {@code msg_size} (negative if {@code msg_size < 16})} */
    public long payloadSize() {
        return messageSize - SIZE;
    }

    /**
     * Writes the 16 bytes at the buffer's position, little-endian regardless of the buffer's order.
     *
     * @param dst a buffer with at least 16 bytes remaining
     */
    public void writeTo(final ByteBuffer dst) {
        final ByteOrder saved = dst.order();
        dst.order(ByteOrder.LITTLE_ENDIAN);
        dst.putShort((short) msgId).putShort((short) command).putInt((int) messageSize).putInt(flags)
                .putInt(errorNo);
        dst.order(saved);
    }

    /** {@return the 16 wire bytes} */
    public byte[] toBytes() {
        final ByteBuffer b = ByteBuffer.allocate(SIZE);
        writeTo(b);
        return b.array();
    }

    /**
     * Reads 16 bytes from {@code src} at {@code offset}; the caller guarantees they exist.
     *
     * @param src    bytes
     * @param offset where the header starts
     * @return the header; fields are taken as they are, no validation beyond the u16/u32 ranges
     */
    public static Header read(final byte[] src, final int offset) {
        Objects.checkFromIndexSize(offset, SIZE, src.length);
        // Read in place (no ByteBuffer wrapper: a header is read per message received).
        return new Header(Short.toUnsignedInt((short) LE_SHORT.get(src, offset)),
                Short.toUnsignedInt((short) LE_SHORT.get(src, offset + 2)),
                Integer.toUnsignedLong((int) LE_INT.get(src, offset + 4)), (int) LE_INT.get(src, offset + 8),
                (int) LE_INT.get(src, offset + 12));
    }

    /**
     * {@return the u16 {@code msg_id} of the header at the start of {@code s}, read in place}
     *
     * @param s at least 16 bytes
     */
    public static int msgId(final MemorySegment s) {
        return Short.toUnsignedInt(s.get(U16, 0));
    }

    /**
     * {@return the u16 {@code cmd}, read in place}
     *
     * @param s at least 16 bytes
     */
    public static int command(final MemorySegment s) {
        return Short.toUnsignedInt(s.get(U16, 2));
    }

    /**
     * {@return the u32 {@code msg_size}, read in place}
     *
     * @param s at least 16 bytes
     */
    public static long messageSize(final MemorySegment s) {
        return Integer.toUnsignedLong(s.get(U32, 4));
    }

    /**
     * {@return the raw u32 {@code flags}, read in place}
     *
     * @param s at least 16 bytes
     */
    public static int flags(final MemorySegment s) {
        return s.get(U32, 8);
    }

    /**
     * {@return the raw u32 {@code error_no}, read in place}
     *
     * @param s at least 16 bytes
     */
    public static int errorNo(final MemorySegment s) {
        return s.get(U32, 12);
    }

    /**
     * {@return the header at the start of {@code s} as a record}
     *
     * @param s at least 16 bytes
     */
    public static Header read(final MemorySegment s) {
        return new Header(msgId(s), command(s), messageSize(s), flags(s), errorNo(s));
    }

    /**
     * Writes a header in place at the start of {@code s}.
     *
     * @param s           at least 16 bytes
     * @param msgId       u16
     * @param command     u16 command code
     * @param messageSize u32, header included
     * @param flags       u32
     * @param errorNo     u32
     */
    public static void write(final MemorySegment s, final int msgId, final int command, final long messageSize,
            final int flags, final int errorNo) {
        s.set(U16, 0, (short) msgId);
        s.set(U16, 2, (short) command);
        s.set(U32, 4, (int) messageSize);
        s.set(U32, 8, flags);
        s.set(U32, 12, errorNo);
    }

    @Override
    public String toString() {
        return "Header[id=0x" + Integer.toHexString(msgId) + ", cmd=" + knownCommand().map(Enum::name)
                .orElse(Integer.toString(command)) + ", size=" + messageSize + ", flags=0x"
                + Integer.toHexString(flags) + ", errno=" + errorNo + "]";
    }
}
