package dev.tern.vfiouser.codec;

import java.util.Objects;

/**
 * A successfully decoded message.
 *
 * @param header  the header it came with (msg_id, type and flags for the reply)
 * @param message the typed payload: a {@link Request} when {@code header.isCommand()}, else a {@link Reply}
 *                (an {@link ErrorReply} when the ERROR flag was set)
 */
public record Decoded(Header header, Message message) implements DecodeResult {
    /** Checks for null. */
    public Decoded {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(message, "message");
    }
}
