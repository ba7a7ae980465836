package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;

/**
 * DEVICE_RESET (command 13) request (specification "VFIO_USER_DEVICE_RESET": "Neither the request or reply have
 * a payload"). It is the only command whose request may be empty (libvfio-user {@code is_valid_header}); the
 * reply is an {@link Ack}.
 *
 * <pre>
 *  (no payload: msg_size = 16)
 * </pre>
 */
public record DeviceReset() implements Request {
    @Override
    public Command command() {
        return Command.DEVICE_RESET;
    }

    @Override
    public int payloadSize() {
        return 0;
    }

    @Override
    public void writePayload(final ByteBuffer dst) {
        // no payload
    }

    static DeviceReset decode(final WireReader in) throws CodecException {
        in.end();
        return new DeviceReset();
    }
}
