package dev.tern.vfiouser.transport;

import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * What {@link MessageChannel#receive()} yields: a framed message with its descriptors, a message received into a lent
 * buffer, a message read in place, a message that could not be framed, or the end of the connection. Never an
 * exception for anything the peer sent.
 */
public sealed interface Incoming {

    /**
     * A complete message. The receiver owns {@link #fds()} and must close those it does not keep.
     *
     * @param frame the header and payload
     * @param fds   the descriptors that came with it ({@code SCM_RIGHTS}), as many as {@code frame.fdCount()}
     */
    record Message(Frame frame, List<Fd> fds) implements Incoming {
        /** Copies the list. */
        public Message {
            Objects.requireNonNull(frame, "frame");
            fds = List.copyOf(fds);
        }

        /** Closes every descriptor that came with the message (the receiver kept none). */
        public void closeFds() {
            fds.forEach(Fd::close);
        }
    }

    /**
     * A message whose bytes were consumed but which cannot be handed on: {@code msg_size} above the limit, more
     * descriptors than allowed, descriptors in the middle of a message. Its descriptors are already closed. The
     * stream is still in step unless {@link #fatal()}.
     *
     * @param header the offending header
     * @param errno  the errno to answer a command with
     * @param reason what was wrong
     * @param fatal  true if the stream cannot be resynchronised ({@code msg_size < 16}); close the connection
     */
    record Refused(Header header, int errno, String reason, boolean fatal) implements Incoming {
        /** Checks for null. */
        public Refused {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * A message whose payload was received straight into the channel's one reusable direct buffer (replies to the
     * command given to {@link MessageChannel#receiveRepliesDirect}: MIG_DATA_READ; commands given to
     * {@link MessageChannel#receiveCommandsDirect}: MIG_DATA_WRITE), without a frame or a copy. The buffer is
     * lent: {@link #release()} once read (exactly once); until then later messages take the framed path. No
     * descriptors come with it (a message with descriptors is framed).
     *
     * @param header  the message's header
     * @param payload the payload (read-only, little-endian), valid until {@link #release()}
     * @param onRelease gives the buffer back to the channel
     */
    record Loaned(Header header, ByteBuffer payload, Runnable onRelease) implements Incoming {
        /** Checks for null. */
        public Loaned {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(onRelease, "onRelease");
        }

        /** Gives the buffer back. */
        public void release() {
            onRelease.run();
        }

        /** {@return the same reply as a framed message (a copy), the buffer released} */
        public Message toMessage() {
            final byte[] bytes = new byte[payload.remaining()];
            payload.duplicate().get(bytes);
            release();
            return new Message(new Frame(header, Blob.wrap(bytes), 0), List.of());
        }
    }

    /**
     * A message read in place (the commands and replies given to {@link MessageChannel#receiveInPlace}): its header
     * and payload stay in the channel's receive buffers, nothing is framed or decoded, nothing allocated. A
     * flyweight the channel reuses: valid only until the next receive on the channel, so the receiving thread
     * handles it at once or copies it ({@link #toMessage()}). No descriptors come with it (a message with
     * descriptors is framed).
     */
    final class InPlace implements Incoming {
        private final MemorySegment header;
        private MemorySegment payload = MemorySegment.NULL;
        private int payloadSize;

        InPlace(final MemorySegment header) {
            this.header = header;
        }

        void set(final MemorySegment buffer, final int size) {
            this.payload = buffer;
            this.payloadSize = size;
        }

        /** {@return the u16 {@code msg_id}} */
        public int msgId() {
            return Header.msgId(header);
        }

        /** {@return the u16 command code} */
        public int command() {
            return Header.command(header);
        }

        /** {@return the raw flags} */
        public int flags() {
            return Header.flags(header);
        }

        /** {@return the raw {@code error_no}} */
        public int errorNo() {
            return Header.errorNo(header);
        }

        /** {@return whether the type is reply} */
        public boolean isReply() {
            return (flags() & Header.TYPE_MASK) == Header.TYPE_REPLY;
        }

        /** {@return whether ERROR is set} */
        public boolean isError() {
            return (flags() & Header.FLAG_ERROR) != 0;
        }

        /** {@return whether NO_REPLY is set} */
        public boolean noReply() {
            return (flags() & Header.FLAG_NO_REPLY) != 0;
        }

        /** {@return the memory holding the payload from offset 0 (it may be longer than the payload)} */
        public MemorySegment payload() {
            return payload;
        }

        /** {@return the payload's length, {@code msg_size - 16}} */
        public int payloadSize() {
            return payloadSize;
        }

        /** {@return the header as a record (allocates: for logs and the general path)} */
        public Header header() {
            return Header.read(header);
        }

        /** {@return the same message framed (a copy), for a receiver that cannot handle it before the next receive} */
        public Message toMessage() {
            final byte[] bytes = payload.asSlice(0, payloadSize).toArray(ValueLayout.JAVA_BYTE);
            return new Message(new Frame(header(), Blob.wrap(bytes), 0), List.of());
        }
    }

    /**
     * The peer closed the connection (or it failed).
     *
     * @param reason a clean close between messages, a truncated message, or the I/O error
     * @param clean  true for a close between two messages
     */
    record Closed(String reason, boolean clean) implements Incoming {
    }
}
