package dev.tern.migration;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The destination's answer to {@link Hello}: accepted or refused with the reason, and — when accepted — which of
 * its devices offer a state checksum, so both sides derive the same {@link VerifyPlan}.
 *
 * <pre>  u8 accepted | u16 reason length | reason (UTF-8) | u32 device count | u8 checksum offered × count</pre>
 *
 * (a refusal carries count 0)
 *
 * @param accepted whether the destination takes the migration
 * @param reason why not (empty when accepted)
 * @param checksums per destination device, by index: it offers a checksum
 */
public record HelloReply(boolean accepted, String reason, boolean[] checksums) {

    /** Copies the array. */
    public HelloReply {
        checksums = checksums.clone();
    }

    /**
     * {@return a refusal naming {@code why}}
     *
     * @param why one line naming the difference
     */
    public static HelloReply refuse(final String why) {
        return new HelloReply(false, why, new boolean[0]);
    }

    /** {@return the encoding} */
    public ByteBuffer encode() {
        final ByteBuffer text = WireText.of(reason);
        final ByteBuffer out = ByteBuffer.allocate(1 + text.remaining() + 4 + checksums.length);
        out.put((byte) (accepted ? 1 : 0)).put(text).putInt(checksums.length);
        for (final boolean c : checksums) {
            out.put((byte) (c ? 1 : 0));
        }
        return out.flip();
    }

    /**
     * Reads the form {@link #encode} writes.
     *
     * @param in the encoded form, from its position
     * @return the reply
     * @throws IllegalArgumentException for malformed bytes
     */
    public static HelloReply decode(final ByteBuffer in) {
        try {
            final boolean accepted = in.get() != 0;
            final String reason = WireText.get(in);
            final int count = in.getInt();
            if (count < 0 || count != in.remaining()) {
                throw new IllegalArgumentException("handshake reply names " + count + " devices in "
                        + in.remaining() + " bytes");
            }
            final boolean[] checksums = new boolean[count];
            for (int i = 0; i < count; i++) {
                checksums[i] = in.get() != 0;
            }
            return new HelloReply(accepted, reason, checksums);
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated handshake reply");
        }
    }
}
