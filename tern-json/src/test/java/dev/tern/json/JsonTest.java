package dev.tern.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
    @Test
    void parsesAllValueKinds() throws JsonException {
        final JsonValue v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\\\"\"], \"b\": {}} ");
        final JsonValue.JsonObject o = (JsonValue.JsonObject) v;
        final JsonValue.JsonArray a = (JsonValue.JsonArray) o.get("a").orElseThrow();
        assertThat(a.elements()).containsExactly(new JsonValue.JsonNumber("1"), new JsonValue.JsonNumber("-2.5e3"),
                new JsonValue.JsonBool(true), new JsonValue.JsonBool(false), JsonValue.JsonNull.INSTANCE,
                new JsonValue.JsonString("x\né\""));
        assertThat(o.get("b")).contains(new JsonValue.JsonObject(Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{} {}",
            "{}x", "01", "-", "1.", ".5", "1e", "+1", "NaN", "tru", "nul", "'a'", "\"a", "\"\\x\"", "\"\\u12g4\"",
            "\"tab\there\"", "{\"a\":1,\"a\":2}", "/* c */ {}", "{a:1}", "\u00a0{}"})
    void rejectsMalformedText(final String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(JsonException.class);
    }

    @Test
    void enforcesDepthAndLengthLimits() throws JsonException {
        assertThat(Json.parse("[".repeat(16) + "]".repeat(16))).isInstanceOf(JsonValue.JsonArray.class);
        assertThatThrownBy(() -> Json.parse("[".repeat(17) + "]".repeat(17))).hasMessageContaining("nesting");
        assertThatThrownBy(() -> Json.parse("[".repeat(100_000))).hasMessageContaining("longer than");
        assertThatThrownBy(() -> Json.parse("1".repeat(41))).hasMessageContaining("number longer");
        assertThatThrownBy(() -> Json.parse("{\"a\":1}", 5, 4)).hasMessageContaining("longer than 5");
    }

    @Test
    void numbersConvertOnlyWhenIntegralAndInRange() {
        assertThat(new JsonValue.JsonNumber("18446744073709551615").unsignedValue()).hasValue(-1L);
        assertThat(new JsonValue.JsonNumber("18446744073709551616").unsignedValue()).isEmpty();
        assertThat(new JsonValue.JsonNumber("-1").unsignedValue()).isEmpty();
        assertThat(new JsonValue.JsonNumber("1e3").unsignedValue()).isEmpty();
        assertThat(new JsonValue.JsonNumber("4096").nonNegativeAtMost(4096)).hasValue(4096);
        assertThat(new JsonValue.JsonNumber("4097").nonNegativeAtMost(4096)).isEmpty();
    }

    @Test
    void writerIsCompactAndRoundTrips() throws JsonException {
        final JsonValue v = new JsonValue.JsonObject(Map.of("k", new JsonValue.JsonArray(List.of(
                new JsonValue.JsonString("q\"\\\u0001\n"), JsonValue.JsonNumber.of(-5), JsonValue.JsonNull.INSTANCE,
                new JsonValue.JsonBool(true)))));
        final String text = JsonWriter.write(v);
        assertThat(text).isEqualTo("{\"k\":[\"q\\\"\\\\\\u0001\\n\",-5,null,true]}");
        assertThat(Json.parse(text)).isEqualTo(v);
    }
}
