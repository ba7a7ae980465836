package dev.tern.migration;

import dev.tern.migration.wire.Records;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * What became of a session at its commit point, as the destination answers an outcome query (issue 9 item 13). The
 * payload of an {@code OUTCOME} record:
 * <pre>  u8 outcome code | text detail (u16 length | UTF-8)</pre>
 */
public enum CommitOutcome {
    /** The destination does not know the session (never reached LOADED there, forgotten, or a restarted receive). */
    UNKNOWN(0, "unknown to the destination: in doubt; keep the source devices stopped and check the destination"),
    /** The destination committed: it runs the devices, the source must stay stopped. */
    COMMITTED(1, "committed: the destination runs the devices; the source must stay stopped"),
    /** The destination did not commit and never will: the source must run its devices again. */
    ROLLED_BACK(2, "rolled back: the destination does not run the devices and never will; resume the source");

    private static final CommitOutcome[] BY_CODE = {UNKNOWN, COMMITTED, ROLLED_BACK};

    private final int code;
    private final String meaning;

    CommitOutcome(final int code, final String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** {@return what it means for the operator, one clause} */
    public String meaning() {
        return meaning;
    }

    /** @return the OUTCOME payload for this outcome */
    ByteBuffer encode(final String detail) {
        final ByteBuffer text = Records.text(detail);
        return ByteBuffer.allocate(1 + text.remaining()).put((byte) code).put(text).flip();
    }

    /**
     * @param payload an OUTCOME payload
     * @return the outcome, or empty for a code this version does not know or a malformed payload
     */
    static Optional<CommitOutcome> decode(final ByteBuffer payload) {
        try {
            final int code = Byte.toUnsignedInt(payload.get());
            WireText.get(payload);
            return code < BY_CODE.length ? Optional.of(BY_CODE[code]) : Optional.empty();
        } catch (final BufferUnderflowException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
