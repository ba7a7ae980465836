package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * A reply with the ERROR flag: the header alone, the errno in {@code error_no} (specification "Header": "If an
 * error occurs, the reply message must only include the reply header"). Example, EINVAL for REGION_READ id 0xf00f:
 * {@code 0f f0 09 00 10 00 00 00 21 00 00 00 16 00 00 00}.
 *
 * <pre>
 *  (no payload: msg_size = 16, flags = REPLY | ERROR, error_no = errno)
 * </pre>
 *
 * Received, it is read from the header alone and any payload is dropped: libvfio-user echoes the request after a
 * failed DEVICE_FEATURE, e.g. {@code 00 01 10 00 20 00 00 00 21 00 00 00 16 00 00 00} + 16 bytes of echo for a
 * refused SET RUNNING_P2P (vfio-user-interop.md L1). Sent, it is always the header alone.
 *
 * @param commandCode the raw number of the command being answered (an unknown command is answered too)
 * @param errno       the errno; the specification allows 0 even with ERROR set
 */
public record ErrorReply(int commandCode, int errno) implements Reply {
    /** Checks the u16 command number. */
    public ErrorReply {
        if ((commandCode & ~0xffff) != 0) {
            throw new IllegalArgumentException("cmd is u16: " + commandCode);
        }
    }

    /**
     * {@return the error reply}
     *
     * @param command the command being answered
     * @param errno   the errno
     */
    public static ErrorReply of(final Command command, final int errno) {
        return new ErrorReply(command.code(), errno);
    }

    /**
     * The known command being answered. An error reply to an unknown command number (which we may send) has no
     * {@link Command}; it is only ever decoded for known numbers.
     *
     * @return the command
     * @throws IllegalStateException if the number is not a known command
     */
    @Override
    public Command command() {
        return Command.of(commandCode).orElseThrow(() -> new IllegalStateException("unknown command "
                + commandCode));
    }

    @Override
    public int payloadSize() {
        return 0;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        // an error reply is the header alone
    }
}
