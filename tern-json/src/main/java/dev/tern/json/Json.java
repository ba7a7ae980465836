package dev.tern.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, bounded JSON reader (RFC 8259) for the VERSION capabilities.
 * <p>
 * Strict: the whole input must be exactly one value surrounded only by JSON whitespace (space, tab, CR, LF), so
 * trailing garbage, comments, single quotes, leading zeros, {@code NaN} and raw control characters in strings are
 * rejected; so are duplicate object member names (they make the meaning ambiguous). Whitespace between tokens is
 * accepted anywhere, which covers json-c's "spaced" output that libvfio-user sends
 * ({@code { "capabilities": { "max_msg_fds": 8, ... } }}).
 * <p>
 * Bounded: the input length, the nesting depth and the length of a single number are limited, so a hostile peer
 * cannot make the parser allocate or recurse without bound. Recursion depth equals nesting depth.
 */
public final class Json {
    /** Default maximum input length in characters. */
    public static final int DEFAULT_MAX_LENGTH = 64 * 1024;
    /** Default maximum nesting depth of objects and arrays. */
    public static final int DEFAULT_MAX_DEPTH = 16;
    /** Longest number text accepted (a u64 needs 20 digits). */
    public static final int MAX_NUMBER_LENGTH = 40;

    private final String in;
    private final int maxDepth;
    private int pos;

    private Json(final String in, final int maxDepth) {
        this.in = in;
        this.maxDepth = maxDepth;
    }

    /**
     * Parses with the default limits.
     *
     * @param text the complete JSON text
     * @return the value
     * @throws JsonException if the text is not one well-formed JSON value within the limits
     */
    public static JsonValue parse(final String text) throws JsonException {
        return parse(text, DEFAULT_MAX_LENGTH, DEFAULT_MAX_DEPTH);
    }

    /**
     * {@return the value}
     *
     * @param text      the complete JSON text
     * @param maxLength longest accepted input, in characters
     * @param maxDepth  deepest accepted nesting of objects/arrays (1 = a flat object)
     * @throws JsonException if the text is not one well-formed JSON value within the limits
     */
    public static JsonValue parse(final String text, final int maxLength, final int maxDepth) throws JsonException {
        if (text.length() > maxLength) {
            throw new JsonException(maxLength, "input longer than " + maxLength + " characters");
        }
        final Json p = new Json(text, maxDepth);
        p.skipWhitespace();
        final JsonValue v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw new JsonException(p.pos, "trailing characters after the JSON value");
        }
        return v;
    }

    private JsonValue value(final int depth) throws JsonException {
        if (pos >= in.length()) {
            throw new JsonException(pos, "unexpected end of input");
        }
        final char c = in.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> new JsonValue.JsonString(string());
            case 't' -> literal("true", new JsonValue.JsonBool(true));
            case 'f' -> literal("false", new JsonValue.JsonBool(false));
            case 'n' -> literal("null", JsonValue.JsonNull.INSTANCE);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw new JsonException(pos, "unexpected character '" + printable(c) + "'");
            }
        };
    }

    private JsonValue object(final int depth) throws JsonException {
        checkDepth(depth);
        pos++;
        final Map<String, JsonValue> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return new JsonValue.JsonObject(members);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new JsonException(pos, "expected a member name");
            }
            final int nameAt = pos;
            final String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            if (members.put(name, value(depth)) != null) {
                throw new JsonException(nameAt, "duplicate member \"" + name + "\"");
            }
            skipWhitespace();
            final char c = next();
            if (c == '}') {
                return new JsonValue.JsonObject(members);
            }
            if (c != ',') {
                throw new JsonException(pos - 1, "expected ',' or '}'");
            }
        }
    }

    private JsonValue array(final int depth) throws JsonException {
        checkDepth(depth);
        pos++;
        final List<JsonValue> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return new JsonValue.JsonArray(elements);
        }
        while (true) {
            skipWhitespace();
            elements.add(value(depth));
            skipWhitespace();
            final char c = next();
            if (c == ']') {
                return new JsonValue.JsonArray(elements);
            }
            if (c != ',') {
                throw new JsonException(pos - 1, "expected ',' or ']'");
            }
        }
    }

    private String string() throws JsonException {
        pos++;
        final StringBuilder sb = new StringBuilder();
        while (true) {
            final char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw new JsonException(pos - 1, "control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            final char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(hex4());
                default -> throw new JsonException(pos - 1, "bad escape '\\" + printable(e) + "'");
            }
        }
    }

    private char hex4() throws JsonException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            final int d = Character.digit(next(), 16);
            if (d < 0) {
                throw new JsonException(pos - 1, "bad \\u escape");
            }
            v = (v << 4) | d;
        }
        return (char) v;
    }

    /** RFC 8259: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
    private JsonValue number() throws JsonException {
        final int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else {
            digits();
        }
        if (peek() == '.') {
            pos++;
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            digits();
        }
        if (pos - start > MAX_NUMBER_LENGTH) {
            throw new JsonException(start, "number longer than " + MAX_NUMBER_LENGTH + " characters");
        }
        return new JsonValue.JsonNumber(in.substring(start, pos));
    }

    private void digits() throws JsonException {
        final int start = pos;
        while (pos < in.length() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
            pos++;
            if (pos - start > MAX_NUMBER_LENGTH) {
                throw new JsonException(start, "number longer than " + MAX_NUMBER_LENGTH + " characters");
            }
        }
        if (pos == start) {
            throw new JsonException(pos, "expected a digit");
        }
    }

    private JsonValue literal(final String word, final JsonValue v) throws JsonException {
        if (!in.startsWith(word, pos)) {
            throw new JsonException(pos, "expected '" + word + "'");
        }
        pos += word.length();
        return v;
    }

    private void checkDepth(final int depth) throws JsonException {
        if (depth > maxDepth) {
            throw new JsonException(pos, "nesting deeper than " + maxDepth);
        }
    }

    private void skipWhitespace() {
        while (pos < in.length()) {
            final char c = in.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private void expect(final char c) throws JsonException {
        if (next() != c) {
            throw new JsonException(pos - 1, "expected '" + c + "'");
        }
    }

    private char peek() {
        return pos < in.length() ? in.charAt(pos) : '\0';
    }

    private char next() throws JsonException {
        if (pos >= in.length()) {
            throw new JsonException(pos, "unexpected end of input");
        }
        return in.charAt(pos++);
    }

    private static String printable(final char c) {
        return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}
