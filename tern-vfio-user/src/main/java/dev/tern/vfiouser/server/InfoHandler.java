package dev.tern.vfiouser.server;

import dev.tern.device.Device;
import dev.tern.device.Irq;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.GetRegionInfo;
import dev.tern.vfiouser.codec.GetRegionIoFds;
import dev.tern.vfiouser.codec.IoFdSubRegion;
import dev.tern.vfiouser.codec.IrqInfo;
import dev.tern.vfiouser.codec.RegionCapability;
import dev.tern.vfiouser.codec.RegionInfoReply;
import dev.tern.vfiouser.codec.RegionIoFdsReply;
import java.util.List;

/** DEVICE_GET_INFO, DEVICE_GET_REGION_INFO, DEVICE_GET_REGION_IO_FDS and DEVICE_GET_IRQ_INFO. */
final class InfoHandler {
    private final Device device;

    InfoHandler(final Device device) {
        this.device = device;
    }

    /** Specification "VFIO_USER_DEVICE_GET_INFO": argsz is set to the size filled in (16). */
    Outcome deviceInfo(final DeviceInfo request) {
        final dev.tern.device.DeviceInfo i = device.info();
        return Outcome.ok(new DeviceInfo(DeviceInfo.SIZE, i.flags(), i.numRegions(), i.numIrqs()));
    }

    /**
     * Specification "VFIO_USER_DEVICE_GET_REGION_INFO". An mmap-able region (shared-memory backing) gets the
     * {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP} capability with one area covering it (the SDK maps whole regions),
     * mmap offset 0, and its memfd with the reply. If argsz has no room for the capability the reply is the 32-byte
     * structure alone, argsz saying the size needed, and carries no fd ("The client then retries the operation with
     * a larger receive buffer").
     */
    Outcome regionInfo(final GetRegionInfo request) {
        final List<Region> regions = device.regions();
        final long index = Integer.toUnsignedLong(request.index());
        if (index >= regions.size()) {
            return Outcome.fail(Errno.EINVAL, "no region " + index + " (the device has " + regions.size() + ")");
        }
        final Region r = regions.get((int) index);
        final RegionInfo info = r.info();
        int flags = info.flags() & (RegionInfoReply.FLAG_READ | RegionInfoReply.FLAG_WRITE);
        final List<RegionCapability> caps;
        final List<Fd> fds;
        if (info.mmappable() && r.backing().isPresent() && info.size() > 0) {
            flags |= RegionInfoReply.FLAG_MMAP | RegionInfoReply.FLAG_CAPS;
            caps = List.of(new RegionCapability.SparseMmap(List.of(new RegionCapability.Area(0, info.size()))));
            fds = List.of(r.backing().get().fd());
        } else {
            caps = List.of();
            fds = List.of();
        }
        final RegionInfoReply full = new RegionInfoReply(0, flags, (int) index, info.size(), 0, caps, fds.size());
        final int needed = full.payloadSize();
        if (Integer.toUnsignedLong(request.argsz()) < needed) {
            return Outcome.ok(new RegionInfoReply(needed, flags, (int) index, info.size(), 0, List.of(), 0));
        }
        return new Outcome.Ok(new RegionInfoReply(needed, flags, (int) index, info.size(), 0, caps, fds.size()),
                fds);
    }

    /**
     * Specification "VFIO_USER_DEVICE_GET_REGION_IO_FDS": SDK devices configure no ioeventfds, so every existing
     * region answers with zero sub-regions.
     */
    Outcome regionIoFds(final GetRegionIoFds request) {
        final long index = Integer.toUnsignedLong(request.index());
        if (index >= device.regions().size()) {
            return Outcome.fail(Errno.EINVAL, "no region " + index);
        }
        return Outcome.ok(new RegionIoFdsReply(RegionIoFdsReply.SIZE, 0, (int) index, 0, List.of(),
                IoFdSubRegion.Layout.LIBVFIO_USER, 0));
    }

    /** Specification "VFIO_USER_DEVICE_GET_IRQ_INFO". */
    Outcome irqInfo(final IrqInfo request) {
        final List<Irq> irqs = device.irqs();
        final long index = Integer.toUnsignedLong(request.index());
        if (index >= irqs.size()) {
            return Outcome.fail(Errno.EINVAL, "no IRQ index " + index + " (the device has " + irqs.size() + ")");
        }
        final dev.tern.device.IrqInfo i = irqs.get((int) index).info();
        return Outcome.ok(new IrqInfo(IrqInfo.SIZE, i.flags(), (int) index, i.count()));
    }
}
