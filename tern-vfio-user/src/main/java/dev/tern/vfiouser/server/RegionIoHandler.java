package dev.tern.vfiouser.server;

import dev.tern.device.Device;
import dev.tern.device.DeviceException;
import dev.tern.device.Region;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.RegionRead;
import dev.tern.vfiouser.codec.RegionReadReply;
import dev.tern.vfiouser.codec.RegionWrite;
import dev.tern.vfiouser.codec.RegionWriteReply;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * REGION_READ and REGION_WRITE (specification "VFIO_USER_REGION_READ" / "VFIO_USER_REGION_WRITE"). Bounds, flags
 * and frozen registers are checked by the SDK's {@link Region} (EINVAL outside the region or without the access
 * flag, EBUSY for registers while the device is stopped); the count was checked against our
 * {@code max_data_xfer_size} by the codec.
 */
final class RegionIoHandler {
    private final Device device;

    RegionIoHandler(final Device device) {
        this.device = device;
    }

    Outcome read(final RegionRead request) throws DeviceException {
        final ByteBuffer dst = ByteBuffer.allocate(request.count()).order(ByteOrder.LITTLE_ENDIAN);
        readInto(request.offset(), request.region(), dst);
        return Outcome.ok(new RegionReadReply(request.offset(), request.region(), Blob.wrap(dst.array())));
    }

    /**
     * Reads {@code dst.remaining()} bytes of region {@code index} at {@code offset} into {@code dst} (the decoded
     * path's buffer, or the reply laid out in place by {@link RegionReadInPlace}).
     */
    void readInto(final long offset, final int index, final ByteBuffer dst) throws DeviceException {
        region(index).read(offset, dst);
    }

    Outcome write(final RegionWrite request) throws DeviceException {
        final Region r = region(request.region());
        r.write(request.offset(), request.data().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
        return Outcome.ok(new RegionWriteReply(request.offset(), request.region(), request.data().length()));
    }

    private Region region(final int index) throws DeviceException {
        final List<Region> regions = device.regions();
        final long i = Integer.toUnsignedLong(index);
        if (i >= regions.size()) {
            throw new DeviceException(Errno.EINVAL, "no region " + i + " (the device has " + regions.size() + ")");
        }
        return regions.get((int) i);
    }
}
