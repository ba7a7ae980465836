package dev.tern.vfiouser.codec;

import dev.tern.json.Json;
import dev.tern.json.JsonException;
import dev.tern.json.JsonValue;
import dev.tern.json.JsonWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The {@code "capabilities"} object of a VERSION message (specification "VFIO_USER_VERSION", table
 * "Capabilities"). Every member is optional; an absent member means the specification's default, which the
 * {@code effective…()} accessors apply. Presence is kept because negotiation works on the set of proposed names.
 * <p>
 * Reading is strict about types (a wrong type or an out-of-range number is EINVAL, as libvfio-user rejects
 * "wrong JSON types") and lenient about names: unknown members are ignored, for forward compatibility.
 *
 * @param maxMsgFds       {@code max_msg_fds}: most fds the sender can receive in one message (default 1)
 * @param maxDataXferSize {@code max_data_xfer_size}: largest data count the sender accepts (default 1048576)
 * @param pgsizes         {@code pgsizes}: page sizes supported for DMA_MAP, or'ed together (default 4096)
 * @param maxDmaMaps      {@code max_dma_maps}: most simultaneous DMA mappings (default 65535)
 * @param twinSocket      {@code twin_socket}
 * @param writeMultiple   {@code write_multiple}: REGION_WRITE_MULTI supported
 * @param migration       libvfio-user's non-specification {@code migration} object
 * @param tern            the Tern extension object {@code tern}
 */
public record Capabilities(OptionalInt maxMsgFds, OptionalLong maxDataXferSize, OptionalLong pgsizes,
        OptionalInt maxDmaMaps, Optional<TwinSocket> twinSocket, Optional<Boolean> writeMultiple,
        Optional<MigrationCapability> migration, Optional<TernExtension> tern) {
    /** Default {@code max_msg_fds}. */
    public static final int DEFAULT_MAX_MSG_FDS = 1;
    /** Default {@code max_data_xfer_size}. */
    public static final long DEFAULT_MAX_DATA_XFER_SIZE = 1L << 20;
    /** Default {@code pgsizes}: 4 KiB pages only. */
    public static final long DEFAULT_PGSIZES = 4096;
    /** Default {@code max_dma_maps}. */
    public static final int DEFAULT_MAX_DMA_MAPS = 65535;

    private static final Capabilities NONE = new Capabilities(OptionalInt.empty(), OptionalLong.empty(),
            OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());

    /** {@return no members at all: every value is the default} */
    public static Capabilities none() {
        return NONE;
    }

    /** {@return the effective {@code max_msg_fds}} */
    public int effectiveMaxMsgFds() {
        return maxMsgFds.orElse(DEFAULT_MAX_MSG_FDS);
    }

    /** {@return the effective {@code max_data_xfer_size}} */
    public long effectiveMaxDataXferSize() {
        return maxDataXferSize.orElse(DEFAULT_MAX_DATA_XFER_SIZE);
    }

    /** {@return the effective {@code pgsizes}} */
    public long effectivePgsizes() {
        return pgsizes.orElse(DEFAULT_PGSIZES);
    }

    /** {@return the effective {@code max_dma_maps}} */
    public int effectiveMaxDmaMaps() {
        return maxDmaMaps.orElse(DEFAULT_MAX_DMA_MAPS);
    }

    /** {@return whether {@code twin_socket.supported} is true} */
    public boolean twinSocketSupported() {
        return twinSocket.map(TwinSocket::supported).orElse(false);
    }

    /** {@return the negotiated Tern features, {@link TernExtension#NONE} when absent} */
    public TernExtension effectiveTern() {
        return tern.orElse(TernExtension.NONE);
    }

    /**
     * {@return a copy with {@code max_msg_fds} set}
     *
     * @param v value
     */
    public Capabilities withMaxMsgFds(final int v) {
        return new Capabilities(OptionalInt.of(v), maxDataXferSize, pgsizes, maxDmaMaps, twinSocket, writeMultiple,
                migration, tern);
    }

    /**
     * {@return a copy with {@code max_data_xfer_size} set}
     *
     * @param v value
     */
    public Capabilities withMaxDataXferSize(final long v) {
        return new Capabilities(maxMsgFds, OptionalLong.of(v), pgsizes, maxDmaMaps, twinSocket, writeMultiple,
                migration, tern);
    }

    /**
     * {@return a copy with {@code pgsizes} set}
     *
     * @param v value
     */
    public Capabilities withPgsizes(final long v) {
        return new Capabilities(maxMsgFds, maxDataXferSize, OptionalLong.of(v), maxDmaMaps, twinSocket,
                writeMultiple, migration, tern);
    }

    /**
     * {@return a copy with {@code max_dma_maps} set}
     *
     * @param v value
     */
    public Capabilities withMaxDmaMaps(final int v) {
        return new Capabilities(maxMsgFds, maxDataXferSize, pgsizes, OptionalInt.of(v), twinSocket, writeMultiple,
                migration, tern);
    }

    /**
     * {@return a copy with {@code twin_socket} set}
     *
     * @param v value
     */
    public Capabilities withTwinSocket(final TwinSocket v) {
        return new Capabilities(maxMsgFds, maxDataXferSize, pgsizes, maxDmaMaps, Optional.of(v), writeMultiple,
                migration, tern);
    }

    /**
     * {@return a copy with {@code write_multiple} set}
     *
     * @param v value
     */
    public Capabilities withWriteMultiple(final boolean v) {
        return new Capabilities(maxMsgFds, maxDataXferSize, pgsizes, maxDmaMaps, twinSocket, Optional.of(v),
                migration, tern);
    }

    /**
     * {@return a copy with {@code migration} set}
     *
     * @param v value
     */
    public Capabilities withMigration(final MigrationCapability v) {
        return new Capabilities(maxMsgFds, maxDataXferSize, pgsizes, maxDmaMaps, twinSocket, writeMultiple,
                Optional.of(v), tern);
    }

    /**
     * {@return a copy with the Tern extension object set}
     *
     * @param v value
     */
    public Capabilities withTern(final TernExtension v) {
        return new Capabilities(maxMsgFds, maxDataXferSize, pgsizes, maxDmaMaps, twinSocket, writeMultiple,
                migration, Optional.of(v));
    }

    /**
     * Reads the VERSION JSON document: an object whose optional {@code "capabilities"} member holds the
     * capabilities. Other top-level members are ignored.
     *
     * @param json the text without its NUL terminator
     * @return the capabilities ({@link #none()} if the document has no {@code "capabilities"} member)
     * @throws CodecException EINVAL for malformed JSON, a non-object document or a member of the wrong type/range
     */
    public static Capabilities fromVersionJson(final String json) throws CodecException {
        final JsonValue doc;
        try {
            doc = Json.parse(json);
        } catch (final JsonException e) {
            throw CodecException.invalid("VERSION: bad JSON: " + e.getMessage());
        }
        final JsonValue.JsonObject top = object(doc, "VERSION JSON document");
        final Optional<JsonValue> caps = top.get("capabilities");
        return caps.isPresent() ? fromJson(caps.get()) : NONE;
    }

    /**
     * {@return the capabilities}
     *
     * @param value the {@code "capabilities"} value
     * @throws CodecException EINVAL for a wrong type or range
     */
    public static Capabilities fromJson(final JsonValue value) throws CodecException {
        final JsonValue.JsonObject o = object(value, "capabilities");
        final OptionalInt fds = o.get("max_msg_fds").isPresent()
                ? OptionalInt.of((int) unsigned(o.get("max_msg_fds").get(), "max_msg_fds", Integer.MAX_VALUE))
                : OptionalInt.empty();
        final OptionalInt maps = o.get("max_dma_maps").isPresent()
                ? OptionalInt.of((int) unsigned(o.get("max_dma_maps").get(), "max_dma_maps", Integer.MAX_VALUE))
                : OptionalInt.empty();
        final Optional<JsonValue> twin = o.get("twin_socket");
        final Optional<JsonValue> multi = o.get("write_multiple");
        final Optional<JsonValue> migr = o.get("migration");
        final Optional<JsonValue> tern = o.get("tern");
        final OptionalLong xfer = o.get("max_data_xfer_size").isPresent()
                ? OptionalLong.of(unsigned(o.get("max_data_xfer_size").get(), "max_data_xfer_size",
                        Long.MAX_VALUE))
                : OptionalLong.empty();
        return new Capabilities(fds, xfer,
                optionalU64(o, "pgsizes", "pgsizes"), maps,
                twin.isPresent() ? Optional.of(TwinSocket.fromJson(twin.get())) : Optional.empty(),
                multi.isPresent() ? Optional.of(bool(o, "write_multiple", "write_multiple", false))
                        : Optional.empty(),
                migr.isPresent() ? Optional.of(MigrationCapability.fromJson(migr.get())) : Optional.empty(),
                tern.isPresent() ? Optional.of(TernExtension.fromJson(tern.get())) : Optional.empty());
    }

    /** {@return the {@code "capabilities"} object, members in specification order, absent members omitted} */
    public JsonValue toJson() {
        final Map<String, JsonValue> m = new LinkedHashMap<>();
        maxMsgFds.ifPresent(v -> m.put("max_msg_fds", JsonValue.JsonNumber.of(v)));
        maxDataXferSize.ifPresent(v -> m.put("max_data_xfer_size", JsonValue.JsonNumber.of(v)));
        pgsizes.ifPresent(v -> m.put("pgsizes", JsonValue.JsonNumber.ofUnsigned(v)));
        maxDmaMaps.ifPresent(v -> m.put("max_dma_maps", JsonValue.JsonNumber.of(v)));
        twinSocket.ifPresent(v -> m.put("twin_socket", v.toJson()));
        writeMultiple.ifPresent(v -> m.put("write_multiple", new JsonValue.JsonBool(v)));
        migration.ifPresent(v -> m.put("migration", v.toJson()));
        tern.ifPresent(v -> m.put("tern", v.toJson()));
        return new JsonValue.JsonObject(m);
    }

    /** {@return the compact VERSION document {@code {"capabilities":{…}}} (without the NUL)} */
    public String toVersionJson() {
        return JsonWriter.write(new JsonValue.JsonObject(Map.of("capabilities", toJson())));
    }

    static JsonValue.JsonObject object(final JsonValue v, final String name) throws CodecException {
        if (v instanceof JsonValue.JsonObject o) {
            return o;
        }
        throw CodecException.invalid("VERSION: " + name + " must be an object, not " + v.typeName());
    }

    static boolean bool(final JsonValue.JsonObject o, final String member, final String name, final boolean dflt)
            throws CodecException {
        final Optional<JsonValue> v = o.get(member);
        if (v.isEmpty()) {
            return dflt;
        }
        if (v.get() instanceof JsonValue.JsonBool b) {
            return b.value();
        }
        throw CodecException.invalid("VERSION: " + name + " must be a boolean, not " + v.get().typeName());
    }

    static long unsigned(final JsonValue v, final String name, final long max) throws CodecException {
        if (!(v instanceof JsonValue.JsonNumber n)) {
            throw CodecException.invalid("VERSION: " + name + " must be a number, not " + v.typeName());
        }
        final OptionalLong r = n.nonNegativeAtMost(max);
        if (r.isEmpty()) {
            throw CodecException.invalid("VERSION: " + name + " must be an integer in 0.." + max + ", not "
                    + n.text());
        }
        return r.getAsLong();
    }

    static OptionalLong optionalU64(final JsonValue.JsonObject o, final String member, final String name)
            throws CodecException {
        final Optional<JsonValue> v = o.get(member);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        if (!(v.get() instanceof JsonValue.JsonNumber n)) {
            throw CodecException.invalid("VERSION: " + name + " must be a number, not " + v.get().typeName());
        }
        final OptionalLong r = n.unsignedValue();
        if (r.isEmpty()) {
            throw CodecException.invalid("VERSION: " + name + " must be an integer in 0..2^64-1, not " + n.text());
        }
        return r;
    }
}
