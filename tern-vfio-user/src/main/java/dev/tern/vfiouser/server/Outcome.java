package dev.tern.vfiouser.server;

import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Reply;
import dev.tern.sys.IoVector;
import dev.tern.vfiouser.transport.MessageChannel;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/** What a handler answers a client command with: a reply (with descriptors to pass) or an errno. */
public sealed interface Outcome {

    /**
     * A successful command: its reply and the descriptors to pass with it.
     *
     * @param reply the reply payload
     * @param fds   descriptors to send with it (still owned by the server)
     */
    record Ok(Reply reply, List<Fd> fds) implements Outcome {
        /** Copies the list. */
        public Ok {
            Objects.requireNonNull(reply, "reply");
            fds = List.copyOf(fds);
        }
    }

    /**
     * A reply whose data is gathered from native memory (MIG_DATA_READ: views of the device's stream): its header
     * and fixed fields, then the pieces, leave in one gather {@code sendmsg}, so the data is never copied in Java.
     *
     * @param command the command answered
     * @param fields  the payload's fixed fields, position to limit
     * @param data    the pieces after them, entry 0 reserved for the header and fields
     *                ({@link MessageChannel#sendReply(int, Command, java.nio.ByteBuffer, IoVector)}); valid until the
     *                next command of the session is handled
     */
    record Direct(Command command, ByteBuffer fields, IoVector data) implements Outcome {
        /** Checks for null. */
        public Direct {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(fields, "fields");
            Objects.requireNonNull(data, "data");
        }
    }

    /**
     * A refused command: the error reply carries {@code errno}.
     *
     * @param errno  the errno of the error reply (specification "Header": the reply is the header alone)
     * @param reason what was wrong, for the log
     */
    record Fail(int errno, String reason) implements Outcome {
        /** Checks for null. */
        public Fail {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * {@return a reply without descriptors}
     *
     * @param reply the reply
     */
    static Outcome ok(final Reply reply) {
        return new Ok(reply, List.of());
    }

    /**
     * {@return an error reply}
     *
     * @param errno  errno
     * @param reason why
     */
    static Outcome fail(final int errno, final String reason) {
        return new Fail(errno, reason);
    }
}
