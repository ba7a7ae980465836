package dev.tern.vfiouser.codec;

import dev.tern.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The non-specification {@code "migration"} capability object, a leftover of the v1 migration protocol that
 * libvfio-user still parses and sends ({@code "migration":{"pgsize":4096}}) and QEMU's client defines
 * ({@code pgsize}, {@code max_bitmap_size}). Migration v2 is probed with DEVICE_FEATURE instead; we accept and
 * echo this object only for compatibility.
 *
 * @param pgsize        dirty-page granularity in bytes
 * @param maxBitmapSize largest dirty bitmap in bytes
 */
public record MigrationCapability(OptionalLong pgsize, OptionalLong maxBitmapSize) {
    /**
     * {@return {@code {"pgsize":N}}}
     *
     * @param pgsize the page size
     */
    public static MigrationCapability ofPgsize(final long pgsize) {
        return new MigrationCapability(OptionalLong.of(pgsize), OptionalLong.empty());
    }

    static MigrationCapability fromJson(final JsonValue v) throws CodecException {
        final JsonValue.JsonObject o = Capabilities.object(v, "migration");
        return new MigrationCapability(Capabilities.optionalU64(o, "pgsize", "migration.pgsize"),
                Capabilities.optionalU64(o, "max_bitmap_size", "migration.max_bitmap_size"));
    }

    JsonValue toJson() {
        final Map<String, JsonValue> m = new LinkedHashMap<>();
        pgsize.ifPresent(p -> m.put("pgsize", JsonValue.JsonNumber.ofUnsigned(p)));
        maxBitmapSize.ifPresent(p -> m.put("max_bitmap_size", JsonValue.JsonNumber.ofUnsigned(p)));
        return new JsonValue.JsonObject(m);
    }
}
