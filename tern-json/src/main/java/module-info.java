/** A small strict JSON parser ({@code Json}, {@code JsonValue}) and writer ({@code JsonWriter}); no dependencies. */
module dev.tern.json {
    exports dev.tern.json;
}
