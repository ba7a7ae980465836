package dev.tern.migration;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Text in migration records — device names and kinds in the handshake, the reason in a HELLO_REPLY or an ABORT:
 * <pre>  u16 length | UTF-8 bytes (at most {@link #MAX})</pre>
 * Names longer than {@link #MAX} bytes are refused on both ends; a free-text reason is cut to fit.
 */
final class WireText {

    /** Longest text on the wire, in bytes. */
    static final int MAX = dev.tern.migration.wire.Records.MAX_TEXT;

    private WireText() {
    }

    /** @return the encoded size of name {@code s} */
    static int size(final String s) {
        return 2 + name(s).length;
    }

    /**
     * Appends name {@code s}.
     *
     * @throws IllegalArgumentException if it is longer than {@link #MAX} bytes
     */
    static void put(final ByteBuffer out, final String s) {
        final byte[] b = name(s);
        out.putShort((short) b.length).put(b);
    }

    /** @return reason {@code s} alone (cut to {@link #MAX} bytes), encoded and flipped */
    static ByteBuffer of(final String s) {
        return dev.tern.migration.wire.Records.text(s);
    }

    /**
     * @return the next text of {@code in}
     * @throws IllegalArgumentException for a length above {@link #MAX} or beyond the buffer
     */
    static String get(final ByteBuffer in) {
        try {
            final int len = Short.toUnsignedInt(in.getShort());
            if (len > MAX || len > in.remaining()) {
                throw new IllegalArgumentException("text of " + len + " bytes in a record");
            }
            final byte[] b = new byte[len];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated text in a record");
        }
    }

    private static byte[] name(final String s) {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX) {
            throw new IllegalArgumentException("name of " + b.length + " bytes (at most " + MAX + ")");
        }
        return b;
    }

    private static byte[] reason(final String s) {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= MAX ? b : Arrays.copyOf(b, MAX);
    }
}
