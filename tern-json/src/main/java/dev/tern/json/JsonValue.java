package dev.tern.json;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A parsed JSON value (RFC 8259): the small model used for the VERSION capabilities. Objects keep member order so
 * that what we write is deterministic.
 */
public sealed interface JsonValue {

    /** {@return the JSON type name, for error messages} */
    String typeName();

    /**
     * An object.
     *
     * @param members the members in source order, unmodifiable
     */
    record JsonObject(Map<String, JsonValue> members) implements JsonValue {
        /** Copies the members, keeping their order. */
        public JsonObject {
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }

        /**
         * {@return the member, if present}
         *
         * @param name member name
         */
        public Optional<JsonValue> get(final String name) {
            return Optional.ofNullable(members.get(name));
        }

        @Override
        public String typeName() {
            return "object";
        }
    }

    /**
     * An array.
     *
     * @param elements the elements, unmodifiable
     */
    record JsonArray(List<JsonValue> elements) implements JsonValue {
        /** Copies the elements. */
        public JsonArray {
            elements = List.copyOf(elements);
        }

        @Override
        public String typeName() {
            return "array";
        }
    }

    /**
     * A string.
     *
     * @param value the unescaped text
     */
    record JsonString(String value) implements JsonValue {
        @Override
        public String typeName() {
            return "string";
        }
    }

    /**
     * A number, kept as its (validated) source text so no precision is lost before the caller picks a type.
     *
     * @param text the number exactly as written, matching the RFC 8259 grammar
     */
    record JsonNumber(String text) implements JsonValue {
        private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

        /**
         * {@return its JSON number}
         *
         * @param value an integer
         */
        public static JsonNumber of(final long value) {
            return new JsonNumber(Long.toString(value));
        }

        /**
         * {@return its JSON number}
         *
         * @param value 64 raw bits read as unsigned
         */
        public static JsonNumber ofUnsigned(final long value) {
            return new JsonNumber(Long.toUnsignedString(value));
        }

        /** {@return the value if it is an integer (no fraction, no exponent) within 0..2^64-1, as raw bits} */
        public OptionalLong unsignedValue() {
            if (!isPlainInteger() || text.startsWith("-")) {
                return OptionalLong.empty();
            }
            final BigInteger v = new BigInteger(text);
            return v.compareTo(U64_MAX) > 0 ? OptionalLong.empty() : OptionalLong.of(v.longValue());
        }

        /**
         * {@return the value if it is an integer within 0..{@code max}}
         *
         * @param max the largest value accepted
         */
        public OptionalLong nonNegativeAtMost(final long max) {
            final OptionalLong u = unsignedValue();
            return u.isPresent() && u.getAsLong() >= 0 && u.getAsLong() <= max ? u : OptionalLong.empty();
        }

        private boolean isPlainInteger() {
            for (int i = 0; i < text.length(); i++) {
                final char c = text.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String typeName() {
            return "number";
        }
    }

    /**
     * {@code true} or {@code false}.
     *
     * @param value the value
     */
    record JsonBool(boolean value) implements JsonValue {
        @Override
        public String typeName() {
            return "boolean";
        }
    }

    /** {@code null}. */
    enum JsonNull implements JsonValue {
        /** The only null. */
        INSTANCE;

        @Override
        public String typeName() {
            return "null";
        }
    }
}
