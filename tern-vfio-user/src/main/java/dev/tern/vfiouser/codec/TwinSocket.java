package dev.tern.vfiouser.codec;

import dev.tern.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The {@code twin_socket} capability object (specification "VFIO_USER_VERSION"): server-to-client commands
 * (DMA_READ/DMA_WRITE) and their replies travel on a separate socket whose client end the server passes with the
 * VERSION reply.
 *
 * @param supported whether the sender supports (client) or enabled (server) twin-socket mode; defaults to false
 * @param fdIndex   index of the socket in the reply's fd array; only valid in the server's reply
 */
public record TwinSocket(boolean supported, OptionalInt fdIndex) {
    /** Validates the index. */
    public TwinSocket {
        if (fdIndex.isPresent() && fdIndex.getAsInt() < 0) {
            throw new IllegalArgumentException("fd_index must not be negative");
        }
    }

    /** {@return a client's proposal: {@code {"supported":true}}} */
    public static TwinSocket proposal() {
        return new TwinSocket(true, OptionalInt.empty());
    }

    /**
     * {@return a server's acceptance}
     *
     * @param fdIndex where the socket is in the reply's fd array
     */
    public static TwinSocket enabled(final int fdIndex) {
        return new TwinSocket(true, OptionalInt.of(fdIndex));
    }

    static TwinSocket fromJson(final JsonValue v) throws CodecException {
        final JsonValue.JsonObject o = Capabilities.object(v, "twin_socket");
        final boolean supported = Capabilities.bool(o, "supported", "twin_socket.supported", false);
        final OptionalInt idx = o.get("fd_index").isPresent()
                ? OptionalInt.of((int) Capabilities.unsigned(o.get("fd_index").get(), "twin_socket.fd_index",
                        Integer.MAX_VALUE))
                : OptionalInt.empty();
        return new TwinSocket(supported, idx);
    }

    JsonValue toJson() {
        final Map<String, JsonValue> m = new LinkedHashMap<>();
        m.put("supported", new JsonValue.JsonBool(supported));
        fdIndex.ifPresent(i -> m.put("fd_index", JsonValue.JsonNumber.of(i)));
        return new JsonValue.JsonObject(m);
    }
}
