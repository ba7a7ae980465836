package dev.tern.json;

/** Input is not acceptable JSON: a syntax error or a size / depth limit was exceeded. */
public final class JsonException extends Exception {
    /** Character offset of the problem. */
    private final int offset;

    /**
     * Malformed JSON at {@code offset}; no stack trace, as it describes input, not a bug.
     *
     * @param offset character offset of the problem
     * @param reason what is wrong
     */
    public JsonException(final int offset, final String reason) {
        super(reason + " at offset " + offset, null, false, false);
        this.offset = offset;
    }

    /** {@return character offset of the problem} */
    public int offset() {
        return offset;
    }
}
