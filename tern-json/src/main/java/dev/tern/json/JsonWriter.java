package dev.tern.json;

import java.util.Iterator;
import java.util.Map;

/**
 * Writes a {@link JsonValue} in compact form: no whitespace, members in their stored order, strings escaped per
 * RFC 8259 (quote, backslash and control characters; everything else is written as is, UTF-8 on the wire).
 * This is what the libvfio-user client sends, e.g. {@code {"capabilities":{"max_msg_fds":32,...}}}.
 */
public final class JsonWriter {
    private JsonWriter() {
    }

    /**
     * {@return its compact JSON text}
     *
     * @param value the value
     */
    public static String write(final JsonValue value) {
        final StringBuilder sb = new StringBuilder();
        append(sb, value);
        return sb.toString();
    }

    private static void append(final StringBuilder sb, final JsonValue value) {
        switch (value) {
            case JsonValue.JsonObject o -> {
                sb.append('{');
                final Iterator<Map.Entry<String, JsonValue>> it = o.members().entrySet().iterator();
                while (it.hasNext()) {
                    final Map.Entry<String, JsonValue> e = it.next();
                    string(sb, e.getKey());
                    sb.append(':');
                    append(sb, e.getValue());
                    if (it.hasNext()) {
                        sb.append(',');
                    }
                }
                sb.append('}');
            }
            case JsonValue.JsonArray a -> {
                sb.append('[');
                for (int i = 0; i < a.elements().size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    append(sb, a.elements().get(i));
                }
                sb.append(']');
            }
            case JsonValue.JsonString s -> string(sb, s.value());
            case JsonValue.JsonNumber n -> sb.append(n.text());
            case JsonValue.JsonBool b -> sb.append(b.value());
            case JsonValue.JsonNull n -> sb.append("null");
        }
    }

    /**
     * {@return {@code s} as a JSON string literal, quotes and escapes included (for hand-built JSON elsewhere)}
     *
     * @param s the text
     */
    public static String quote(final String s) {
        final StringBuilder sb = new StringBuilder(s.length() + 2);
        string(sb, s);
        return sb.toString();
    }

    private static void string(final StringBuilder sb, final String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
