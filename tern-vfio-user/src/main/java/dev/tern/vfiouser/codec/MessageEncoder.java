package dev.tern.vfiouser.codec;

/**
 * Turns typed messages into {@link Frame}s (header + payload + the number of fds the sender must attach).
 * Stateless; msg_id allocation belongs to the connection.
 */
public final class MessageEncoder {
    private MessageEncoder() {
    }

    /**
     * {@return a command frame expecting a reply}
     *
     * @param msgId   the sender's message id (u16)
     * @param request the payload
     */
    public static Frame command(final int msgId, final Request request) {
        return command(msgId, request, false);
    }

    /**
     * {@return a command frame}
     *
     * @param msgId   the sender's message id (u16)
     * @param request the payload
     * @param noReply whether to set NO_REPLY (specification "Header")
     */
    public static Frame command(final int msgId, final Request request, final boolean noReply) {
        final Blob payload = payload(request);
        return new Frame(Header.command(msgId, request.command(), payload.length(), noReply), payload,
                request.fdCount());
    }

    /**
     * An {@link ErrorReply} becomes the bare header with ERROR and its errno; any other reply a reply header plus
     * payload.
     *
     * @param msgId the id of the command answered
     * @param reply the payload
     * @return a reply frame
     */
    public static Frame reply(final int msgId, final Reply reply) {
        if (reply instanceof ErrorReply e) {
            return error(msgId, e.commandCode(), e.errno());
        }
        final Blob payload = payload(reply);
        return new Frame(Header.reply(msgId, reply.command(), payload.length()), payload, reply.fdCount());
    }

    /**
     * {@return the 16-byte error reply}
     *
     * @param msgId       the id of the command answered
     * @param commandCode the raw command number answered (may be unknown to us)
     * @param errno       the errno
     */
    public static Frame error(final int msgId, final int commandCode, final int errno) {
        return new Frame(Header.error(msgId, commandCode, errno), Blob.empty(), 0);
    }

    /**
     * {@return the 16-byte error reply to it}
     *
     * @param request the header of the command that failed
     * @param errno   the errno
     */
    public static Frame errorFor(final Header request, final int errno) {
        return error(request.msgId(), request.command(), errno);
    }

    private static Blob payload(final Message m) {
        return Blob.wrap(m.payloadBytes());
    }
}
