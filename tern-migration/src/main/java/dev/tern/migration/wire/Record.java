package dev.tern.migration.wire;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One verified record of a migration stream (see {@link RecordCodec} for the layout).
 * <p>
 * A record returned by {@link RecordReader#read()} has a read-only payload at position 0 that is only valid until
 * the next {@code read()} of the same reader: the reader reuses its payload buffer. Copy what you keep
 * ({@link #payloadBytes()}).
 *
 * @param kind     what the record carries
 * @param deviceId the device the record belongs to (u32, raw bits; 0 for session-wide records by convention)
 * @param payload  the payload, from position to limit
 */
public record Record(RecordKind kind, int deviceId, ByteBuffer payload) {
    /** Checks the components are present. */
    public Record {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(payload, "payload");
    }

    /**
     * {@return a copy of the payload (from its position to its limit), leaving the buffer untouched}
     */
    public byte[] payloadBytes() {
        final byte[] copy = new byte[payload.remaining()];
        payload.get(payload.position(), copy);
        return copy;
    }
}
