package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.RegionAccess;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * REGION_READ without allocation (issue 12): the request is read in place from the channel's receive buffer
 * ({@link Incoming.InPlace}) through the {@link RegionAccess} flyweight, which validates it as the record decoder
 * does; the device's bytes are read straight into the channel's send buffer after the reply's fixed fields
 * ({@link MessageChannel#laidOut()}), and the reply goes out from there. A malformed request or a device error is
 * returned as an {@link Outcome.Fail} for {@link CommandRunner} to answer as it answers the decoded path.
 */
final class RegionReadInPlace {
    private final MessageChannel channel;
    private final RegionIoHandler regions;
    private final CodecLimits limits;
    private final RegionAccess request = new RegionAccess();

    RegionReadInPlace(final MessageChannel channel, final RegionIoHandler regions, final CodecLimits limits) {
        this.channel = channel;
        this.regions = regions;
        this.limits = limits;
    }

    /**
     * Reads and replies.
     *
     * @param m a REGION_READ command received in place
     * @return null once answered (or for NO_REPLY, once read), else the failure to answer with
     * @throws DeviceException the device's errno (outside the region, not readable, frozen)
     * @throws IOException if the reply could not be sent
     */
    Outcome answer(final Incoming.InPlace m) throws DeviceException, IOException {
        final RegionAccess a = request.wrap(m.payload(), 0, m.payloadSize());
        final String problem = a.readRequestProblem(limits);
        if (problem != null) {
            return Outcome.fail(Errno.EINVAL, "REGION_READ: " + problem);
        }
        final int count = a.count();
        final ByteBuffer out = channel.laidOut().layOut(RegionAccess.SIZE + count);
        try {
            RegionAccess.write(out, Header.SIZE, a.offset(), a.region(), count);
            out.position(Header.SIZE + RegionAccess.SIZE);
            regions.readInto(a.offset(), a.region(), out);
            if (!m.noReply()) {
                channel.laidOut().send(m.msgId(), Command.REGION_READ.code(), Header.TYPE_REPLY, 0);
            }
        } finally {
            channel.laidOut().end();
        }
        return null;
    }
}
