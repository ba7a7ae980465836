package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable run of bytes with value semantics (so message records compare by content).
 * <p>
 * {@link #wrap(byte[])} takes ownership of the array without copying (the caller must not modify it afterwards);
 * this keeps the 1 MiB migration chunks zero-copy. {@link #copyOf(byte[])} copies.
 */
public final class Blob {
    private static final Blob EMPTY = new Blob(new byte[0]);
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private final byte[] bytes;

    private Blob(final byte[] bytes) {
        this.bytes = bytes;
    }

    /** {@return the empty blob} */
    public static Blob empty() {
        return EMPTY;
    }

    /**
     * {@return a blob over it, without copying}
     *
     * @param bytes an array the caller hands over and never modifies again
     */
    public static Blob wrap(final byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Blob(bytes);
    }

    /**
     * {@return a blob over a private copy}
     *
     * @param bytes any array
     */
    public static Blob copyOf(final byte[] bytes) {
        return wrap(bytes.clone());
    }

    /** {@return the number of bytes} */
    public int length() {
        return bytes.length;
    }

    /**
     * {@return the byte at index}
     *
     * @param index 0 to length-1
     */
    public byte byteAt(final int index) {
        return bytes[index];
    }

    /** {@return a copy of the bytes} */
    public byte[] toArray() {
        return bytes.clone();
    }

    /** {@return a read-only view, position 0, limit length} */
    public ByteBuffer asReadOnlyBuffer() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    /**
     * Writes the bytes as they are.
     *
     * @param dst buffer to append the bytes to
     */
    public void writeTo(final ByteBuffer dst) {
        dst.put(bytes);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Blob b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** @return the length and up to the first 32 bytes in hex */
    @Override
    public String toString() {
        final int shown = Math.min(bytes.length, 32);
        return bytes.length + "B[" + HEX.formatHex(bytes, 0, shown) + (shown < bytes.length ? " …]" : "]");
    }
}
