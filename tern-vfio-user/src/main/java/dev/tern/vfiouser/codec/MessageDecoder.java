package dev.tern.vfiouser.codec;

import dev.tern.sys.Errno;
import java.util.Objects;
import java.util.Optional;

/**
 * Gives a {@link Frame} a type: a {@link Request} or {@link Reply} record, or a {@link Malformed} value. Decoding
 * never throws (a last-resort guard turns any unexpected runtime exception into EINVAL as well).
 * <p>
 * Every malformed case is <b>EINVAL</b> (22):
 * <table>
 * <caption>malformed input and the errno returned</caption>
 * <tr><th>case</th><th>why EINVAL</th></tr>
 * <tr><td>fewer than 16 bytes; {@code msg_size < 16}; {@code msg_size} not matching the bytes</td>
 * <td>libvfio-user {@code is_valid_header} / {@code get_request_header}; the specification gives no errno</td></tr>
 * <tr><td>{@code msg_size} above the receiver's maximum</td><td>libvfio-user: EINVAL for
 * {@code msg_size > SERVER_MAX_MSG_SIZE}. The specification ("Read and Write Operations": "The count field must not
 * exceed the value of max_data_xfer_size of the peer") states the limit but no errno. E2BIG is what QEMU's client
 * answers an oversize DMA_READ/DMA_WRITE with, but the specification never names E2BIG, and libvfio-user, the
 * reference server, uses EINVAL; we follow libvfio-user.</td></tr>
 * <tr><td>data {@code count}/{@code size} above {@code max_data_xfer_size}</td><td>same; libvfio-user
 * {@code handle_mig_data_read/write}</td></tr>
 * <tr><td>unknown command number (including 14)</td><td>libvfio-user's "bad command" path; the specification is
 * silent</td></tr>
 * <tr><td>empty payload on a command other than DEVICE_RESET</td><td>libvfio-user {@code is_valid_header}; the
 * specification's DEVICE_RESET is the only payload-less request</td></tr>
 * <tr><td>payload too short, trailing bytes, counts not matching the bytes present</td><td>libvfio-user
 * (e.g. {@code is_valid_region_access}); "Security Considerations": validate input</td></tr>
 * <tr><td>{@code argsz} below the fixed reply size</td><td>libvfio-user ({@code dev_get_reginfo},
 * {@code handle_device_get_info}, …). An argsz that is merely too small for the <i>variable</i> part is not an
 * error: the reply is truncated and reports the size needed (specification "Message sizes").</td></tr>
 * <tr><td>more file descriptors than the message kind takes, or than {@link CodecLimits#maxFds()}</td>
 * <td>libvfio-user rejects a VERSION with fds and fd counts above its limit with EINVAL</td></tr>
 * <tr><td>bad VERSION JSON: syntax, no NUL terminator, wrong member types, too deep, too long, numbers out of
 * range</td><td>libvfio-user {@code tran.c} version parsing</td></tr>
 * <tr><td>a command with the ERROR flag; a type other than command/reply</td>
 * <td>specification "Header": ERROR is only meaningful in a reply</td></tr>
 * </table>
 * Reserved flag bits (6-31) are ignored, and NO_REPLY on a reply is ignored, for forward compatibility.
 * <p>
 * An <b>error reply</b> is decoded from its header alone: whatever payload and descriptors come with it are
 * discarded (the caller closes the fds), so the peer's errno always reaches the caller. The specification says an
 * error reply "must only include the reply header", but libvfio-user echoes the request after a failed
 * DEVICE_FEATURE SET/PROBE and sends 24 bytes or more after a failed DMA_LOGGING_START (vfio-user-interop.md L1).
 */
public final class MessageDecoder {
    private final CodecLimits limits;

    /**
     * A decoder that checks every count against {@code limits} before it sizes anything.
     *
     * @param limits what this receiver accepts (negotiated {@code max_data_xfer_size}, {@code max_msg_fds})
     */
    public MessageDecoder(final CodecLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** {@return the limits enforced} */
    public CodecLimits limits() {
        return limits;
    }

    /**
     * Decodes one complete message given as raw bytes (header included).
     *
     * @param wire    exactly one message
     * @param fdCount file descriptors that came with it
     * @return the message or why it is malformed
     */
    public DecodeResult decode(final byte[] wire, final int fdCount) {
        if (wire.length < Header.SIZE) {
            return new Malformed(Errno.EINVAL, "short header: " + wire.length + " bytes");
        }
        final Header h = Header.read(wire, 0);
        if (h.messageSize() < Header.SIZE) {
            return new Malformed(Errno.EINVAL, "msg_size " + h.messageSize() + " < 16");
        }
        if (h.messageSize() != wire.length) {
            return new Malformed(Errno.EINVAL, "msg_size " + h.messageSize() + " but " + wire.length + " bytes");
        }
        if (fdCount < 0) {
            return new Malformed(Errno.EINVAL, "negative fd count");
        }
        final byte[] payload = new byte[wire.length - Header.SIZE];
        System.arraycopy(wire, Header.SIZE, payload, 0, payload.length);
        return decode(new Frame(h, Blob.wrap(payload), fdCount));
    }

    /**
     * {@return the message or why it is malformed}
     *
     * @param frame a complete frame, as produced by {@link FrameDecoder}
     */
    public DecodeResult decode(final Frame frame) {
        try {
            return new Decoded(frame.header(), decodeChecked(frame));
        } catch (final CodecException e) {
            return e.toMalformed();
        } catch (final RuntimeException e) {
            return new Malformed(Errno.EINVAL, "internal: " + e);
        }
    }

    private Message decodeChecked(final Frame frame) throws CodecException {
        final Header h = frame.header();
        final int fds = frame.fdCount();
        if (h.messageSize() > limits.maxMessageSize()) {
            throw CodecException.invalid("msg_size " + h.messageSize() + " exceeds " + limits.maxMessageSize());
        }
        if (fds > limits.maxFds()) {
            throw CodecException.invalid(fds + " fds exceed max_msg_fds " + limits.maxFds());
        }
        if (!h.isCommand() && !h.isReply()) {
            throw CodecException.invalid("bad message type " + h.type());
        }
        final Optional<Command> known = h.knownCommand();
        if (known.isEmpty()) {
            throw CodecException.invalid("unknown command " + h.command());
        }
        final Command cmd = known.get();
        final WireReader in = WireReader.of(frame.payload(), cmd.name() + (h.isReply() ? " reply" : ""));
        final Message m;
        if (h.isCommand()) {
            if (h.isError()) {
                throw CodecException.invalid(cmd + ": ERROR flag on a command");
            }
            if (in.remaining() == 0 && cmd != Command.DEVICE_RESET) {
                throw CodecException.invalid(cmd + ": empty payload");
            }
            m = request(cmd, in, fds);
        } else if (h.isError()) {
            return new ErrorReply(h.command(), h.errorNo());
        } else {
            m = reply(cmd, in, fds);
        }
        if (fds != m.fdCount()) {
            throw CodecException.invalid(cmd + ": " + fds + " fds where " + m.fdCount() + " belong");
        }
        return m;
    }

    private Request request(final Command cmd, final WireReader in, final int fds) throws CodecException {
        return switch (cmd) {
            case VERSION -> Version.decode(in, fds, false);
            case DMA_MAP -> DmaMap.decode(in, fds);
            case DMA_UNMAP -> DmaUnmap.decode(in);
            case DEVICE_GET_INFO -> DeviceInfo.decode(in, false);
            case DEVICE_GET_REGION_INFO -> GetRegionInfo.decode(in);
            case DEVICE_GET_REGION_IO_FDS -> GetRegionIoFds.decode(in);
            case DEVICE_GET_IRQ_INFO -> IrqInfo.decode(in, false);
            case DEVICE_SET_IRQS -> SetIrqs.decode(in, fds);
            case REGION_READ -> RegionRead.decode(in, limits);
            case REGION_WRITE -> RegionWrite.decode(in, limits);
            case DMA_READ -> DmaRead.decode(in, limits);
            case DMA_WRITE -> DmaWrite.decode(in, limits);
            case DEVICE_RESET -> DeviceReset.decode(in);
            case REGION_WRITE_MULTI -> RegionWriteMulti.decode(in);
            case DEVICE_FEATURE -> DeviceFeature.decode(in, false);
            case MIG_DATA_READ -> MigDataRead.decode(in, limits);
            case MIG_DATA_WRITE -> MigDataWrite.decode(in, limits);
        };
    }

    private Reply reply(final Command cmd, final WireReader in, final int fds) throws CodecException {
        return switch (cmd) {
            case VERSION -> Version.decode(in, fds, true);
            case DMA_MAP, DEVICE_SET_IRQS, DEVICE_RESET, MIG_DATA_WRITE -> Ack.decode(in, cmd);
            case DMA_UNMAP -> DmaUnmapReply.decode(in);
            case DEVICE_GET_INFO -> DeviceInfo.decode(in, true);
            case DEVICE_GET_REGION_INFO -> RegionInfoReply.decode(in, fds);
            case DEVICE_GET_REGION_IO_FDS -> RegionIoFdsReply.decode(in, fds);
            case DEVICE_GET_IRQ_INFO -> IrqInfo.decode(in, true);
            case REGION_READ -> RegionReadReply.decode(in, limits);
            case REGION_WRITE -> RegionWriteReply.decode(in);
            case DMA_READ -> DmaReadReply.decode(in, limits);
            case DMA_WRITE -> DmaWriteReply.decode(in);
            case REGION_WRITE_MULTI -> RegionWriteMultiReply.decode(in);
            case DEVICE_FEATURE -> DeviceFeature.decode(in, true);
            case MIG_DATA_READ -> MigDataReadReply.decode(in, limits);
        };
    }
}
