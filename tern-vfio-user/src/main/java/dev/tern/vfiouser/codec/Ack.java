package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A successful reply without payload: the reply of DMA_MAP, DEVICE_SET_IRQS, DEVICE_RESET and MIG_DATA_WRITE
 * (specification: "There is no payload in the reply" for each).
 *
 * <pre>
 *  (no payload: msg_size = 16)
 * </pre>
 *
 * @param command the command being acknowledged
 */
public record Ack(Command command) implements Reply {
    /** The commands whose successful reply is empty. */
    public static final Set<Command> COMMANDS = EnumSet.of(Command.DMA_MAP, Command.DEVICE_SET_IRQS,
            Command.DEVICE_RESET, Command.MIG_DATA_WRITE);

    /** Checks that this command's reply is indeed empty. */
    public Ack {
        Objects.requireNonNull(command, "command");
        if (!COMMANDS.contains(command)) {
            throw new IllegalArgumentException(command + " replies carry a payload");
        }
    }

    @Override
    public int payloadSize() {
        return 0;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        // no payload
    }

    static Ack decode(final WireReader in, final Command command) throws CodecException {
        in.end();
        return new Ack(command);
    }
}
