package dev.tern.migration.wire;

import java.io.IOException;
import java.io.Serial;

/**
 * The migration stream is not what a Tern peer writes: bad checksum, unknown kind, a missing, repeated or
 * reordered record, an oversized length, non-zero flags, a stream that ends inside a record, or a bad preamble.
 * The message is one line and names the record's sequence number. Nothing from a corrupt record is ever handed on.
 */
public final class CorruptStreamException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * A stream that cannot be trusted past this point.
     *
     * @param message one line saying what is wrong and where
     */
    public CorruptStreamException(final String message) {
        super(message);
    }
}
