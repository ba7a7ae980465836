package dev.tern.vfiouser.transport;

import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends a message laid out in place in its {@link MessageChannel}'s reused send buffer, allocating nothing (issue 12:
 * the REGION_READ command on the client, its reply on the server):
 * <pre>
 * ByteBuffer b = sender.layOut(payloadSize);   // the send lock is held from here
 * try {
 *     ... write the payload at 16 ..
 *     sender.send(msgId, command, flags, 0);   // the header written in place, then one sendmsg
 * } finally {
 *     sender.end();                            // the lock released
 * }
 * </pre>
 * Serialised with the channel's other sends by the same lock. Its buffer is its own, not the one of the channel's
 * framed sends: a handler that sends a framed message from the same thread while a reply is laid out (the lock is
 * reentrant) cannot overwrite it.
 */
public final class LaidOutSender {
    private final UnixSocket socket;
    private final ReentrantLock sendLock;
    private final SendBuffer out;

    LaidOutSender(final UnixSocket socket, final ReentrantLock sendLock, final SendBuffer out) {
        this.socket = socket;
        this.sendLock = sendLock;
        this.out = out;
    }

    /**
     * Takes the send lock and returns the send buffer (little-endian) with the header's 16 bytes reserved: position
     * 16, limit {@code 16 + payloadSize}. Always followed by {@link #end()}, in a {@code finally}.
     *
     * @param payloadSize bytes after the header
     * @return the send buffer
     */
    public ByteBuffer layOut(final int payloadSize) {
        sendLock.lock();
        final int size = Header.SIZE + payloadSize;
        return out.ensure(size).order(ByteOrder.LITTLE_ENDIAN).clear().limit(size).position(Header.SIZE);
    }

    /**
     * Writes the header in place (message size from the buffer's limit) and sends the message.
     *
     * @param msgId   u16 id
     * @param command u16 command code
     * @param flags   u32 flags (type, NO_REPLY, ERROR)
     * @param errorNo u32 error_no
     * @throws IOException if the connection failed
     */
    public void send(final int msgId, final int command, final int flags, final int errorNo) throws IOException {
        final int size = out.ensure(0).limit();
        Header.write(out.segment(), msgId, command, size, flags, errorNo);
        socket.send(out.first(size));
    }

    /** Releases the send lock taken by {@link #layOut}. */
    public void end() {
        sendLock.unlock();
    }
}
