package dev.tern.vfiouser.transport;

import dev.tern.sys.ControlTruncatedException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Header;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The in-place half of a {@link MessageChannel}'s receive ({@link MessageChannel#receiveInPlace}): which messages
 * it takes, judged from the header read in place, and the body received into one reused native buffer behind the
 * reused {@link Incoming.InPlace} flyweight. Used by the receiving thread only.
 */
final class InPlaceReceiver {
    /** Command codes (a bit per code) whose commands, and whose replies, are received in place. */
    private volatile long commands;
    private volatile long replies;
    private MemorySegment body = Arena.ofAuto().allocate(256, 8);
    private final Incoming.InPlace message;
    private final MemorySegment header;

    /** @param header the channel's native header buffer, which the flyweight reads in place */
    InPlaceReceiver(final MemorySegment header) {
        this.header = header;
        this.message = new Incoming.InPlace(header);
    }

    void accept(final Command command, final boolean reply) {
        if (reply) {
            replies |= 1L << command.code();
        } else {
            commands |= 1L << command.code();
        }
    }

    /**
     * @return whether the header just read is a command or reply to receive in place: a well-typed message (a
     *         command without ERROR, or a reply) of an accepted command code, whose size fits {@code maxMessageSize}
     */
    boolean wants(final long maxMessageSize) {
        final int code = Header.command(header);
        final int flags = Header.flags(header);
        final long size = Header.messageSize(header);
        final long wanted = (flags & (Header.TYPE_MASK | Header.FLAG_ERROR)) == Header.TYPE_COMMAND ? commands
                : (flags & Header.TYPE_MASK) == Header.TYPE_REPLY ? replies : 0;
        return code < Long.SIZE && (wanted >>> code & 1) != 0 && size >= Header.SIZE && size <= maxMessageSize;
    }

    /**
     * Receives the body of the header just read into the reused buffer.
     *
     * @param none an empty list for the (refused) descriptors of body reads
     * @return the flyweight, or a refusal (descriptors attached to the body: the message is read and dropped, as
     *         on the framed path)
     */
    Incoming receive(final UnixSocket socket, final List<Fd> none) throws IOException {
        final int size = (int) (Header.messageSize(header) - Header.SIZE);
        if (size > 0) {
            if (body.byteSize() < size) {
                body = Arena.ofAuto().allocate(Math.max(size, 2 * body.byteSize()), 8);
            }
            try {
                MessageChannel.requireData(socket.receiveExactly(body, 0, size, 0, none));
            } catch (final ControlTruncatedException e) {
                long have = e.bytesReceived();
                while (have < size) {
                    try {
                        have += MessageChannel.requireData(socket.receive(body, have, size - have, 0, none));
                    } catch (final ControlTruncatedException again) {
                        have += again.bytesReceived();
                    }
                }
                return new Incoming.Refused(Header.read(header), Errno.EINVAL, "fds attached to the body of a message",
                        false);
            }
        }
        message.set(body, size);
        return message;
    }
}
