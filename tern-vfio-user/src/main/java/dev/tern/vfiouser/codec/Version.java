package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * VERSION (command 1) request and reply; both directions use this layout (specification "VFIO_USER_VERSION").
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1  (bytes)
 *  +-------------------------------+-------------------------------+
 *  |  0: major             u16     |  2: minor             u16     |
 *  +-------------------------------+-------------------------------+
 *  |  4: UTF-8 JSON {"capabilities":{...}} then one NUL byte,      |
 *  |     optional (absent = all capabilities default)             ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Observed client payload: {@code 00 00 02 00} followed by
 * {@code {"capabilities":{"max_msg_fds":32,"max_data_xfer_size":1024}}\0}.
 * A server reply that enables twin-socket mode carries one fd, at {@code twin_socket.fd_index}; the request carries
 * none (libvfio-user rejects a VERSION request with fds).
 *
 * @param major        protocol major version (0 today)
 * @param minor        protocol minor version
 * @param capabilities the JSON capabilities, or empty if the payload has no JSON part
 */
public record Version(int major, int minor, Optional<Capabilities> capabilities) implements Request, Reply {
    /** The protocol major version Tern speaks (libvfio-user {@code LIB_VFIO_USER_MAJOR}). */
    public static final int MAJOR = 0;
    /** The highest protocol minor version Tern speaks (libvfio-user {@code LIB_VFIO_USER_MINOR}). */
    public static final int MINOR = 2;

    /** Validates the u16 fields. */
    public Version {
        if ((major & ~0xffff) != 0 || (minor & ~0xffff) != 0) {
            throw new IllegalArgumentException("major and minor are u16");
        }
        Objects.requireNonNull(capabilities, "capabilities");
    }

    /**
     * {@return the message}
     *
     * @param major        major version
     * @param minor        minor version
     * @param capabilities capabilities to send as JSON
     */
    public static Version of(final int major, final int minor, final Capabilities capabilities) {
        return new Version(major, minor, Optional.of(capabilities));
    }

    @Override
    public Command command() {
        return Command.VERSION;
    }

    /** {@return the capabilities, or {@link Capabilities#none()} (all defaults) if no JSON was sent} */
    public Capabilities effectiveCapabilities() {
        return capabilities.orElse(Capabilities.none());
    }

    @Override
    public int fdCount() {
        return capabilities.flatMap(Capabilities::twinSocket).filter(TwinSocket::supported)
                .map(t -> t.fdIndex().isPresent() ? t.fdIndex().getAsInt() + 1 : 0).orElse(0);
    }

    private byte[] jsonBytes() {
        return capabilities.map(c -> c.toVersionJson().getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
    }

    @Override
    public int payloadSize() {
        return 4 + capabilities.map(c -> jsonBytes().length + 1).orElse(0);
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        dst.putShort((short) major).putShort((short) minor);
        if (capabilities.isPresent()) {
            dst.put(jsonBytes()).put((byte) 0);
        }
    }

    static Version decode(final WireReader in, final int fds, final boolean reply) throws CodecException {
        final int major = in.u16("major");
        final int minor = in.u16("minor");
        final Optional<Capabilities> caps;
        if (in.remaining() == 0) {
            caps = Optional.empty();
        } else {
            final byte[] json = in.bytes(in.remaining(), "JSON");
            if (json[json.length - 1] != 0) {
                throw CodecException.invalid("VERSION: JSON is not NUL-terminated");
            }
            caps = Optional.of(Capabilities.fromVersionJson(utf8(json, json.length - 1)));
        }
        final Version v = new Version(major, minor, caps);
        if (!reply && caps.flatMap(Capabilities::twinSocket).map(t -> t.fdIndex().isPresent()).orElse(false)) {
            throw CodecException.invalid("VERSION: twin_socket.fd_index is only valid in the reply");
        }
        if (!reply && fds != 0) {
            throw CodecException.invalid("VERSION: a request must not carry fds, got " + fds);
        }
        if (reply && fds != v.fdCount()) {
            throw CodecException.invalid("VERSION: reply carries " + fds + " fds but twin_socket.fd_index needs "
                    + v.fdCount());
        }
        return v;
    }

    private static String utf8(final byte[] bytes, final int length) throws CodecException {
        try {
            final CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length));
            return chars.toString();
        } catch (final CharacterCodingException e) {
            throw CodecException.invalid("VERSION: JSON is not valid UTF-8");
        }
    }
}
