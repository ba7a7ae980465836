package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.vfiouser.codec.DeviceReset;
import dev.tern.vfiouser.codec.DmaMap;
import dev.tern.vfiouser.codec.DmaRead;
import dev.tern.vfiouser.codec.DmaUnmap;
import dev.tern.vfiouser.codec.DmaWrite;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.GetRegionInfo;
import dev.tern.vfiouser.codec.GetRegionIoFds;
import dev.tern.vfiouser.codec.IrqInfo;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataWrite;
import dev.tern.vfiouser.codec.RegionRead;
import dev.tern.vfiouser.codec.RegionWrite;
import dev.tern.vfiouser.codec.RegionWriteMulti;
import dev.tern.vfiouser.codec.Request;
import dev.tern.vfiouser.codec.SetIrqs;
import dev.tern.vfiouser.codec.Version;
import java.nio.ByteBuffer;

/**
 * The server's command table: one small handler per client command (specification "Commands"). Handlers answer
 * with an {@link Outcome}; a {@link DeviceException} from the device SDK carries the errno to reply with and is
 * turned into {@link Outcome.Fail} by {@link ClientSession}.
 */
final class CommandDispatcher {
    private final ServedDevice served;
    private final InfoHandler info;
    private final RegionIoHandler regions;
    private final DmaHandler dma;
    private final IrqHandler irqs;
    private final FeatureHandler features;
    private final MigrationDataHandler migrationData;

    CommandDispatcher(final ServedDevice served, final DmaHandler dma, final IrqHandler irqs,
            final FeatureHandler features, final MigrationDataHandler migrationData) {
        this.served = served;
        this.info = new InfoHandler(served.device());
        this.regions = new RegionIoHandler(served.device());
        this.dma = dma;
        this.irqs = irqs;
        this.features = features;
        this.migrationData = migrationData;
    }

    Outcome dispatch(final Request request, final ReceivedFds fds) throws DeviceException {
        return switch (request) {
            case Version v -> Outcome.fail(Errno.EINVAL, "VERSION was already negotiated");
            case DmaMap m -> dma.map(m, fds);
            case DmaUnmap u -> dma.unmap(u);
            case DeviceInfo i -> info.deviceInfo(i);
            case GetRegionInfo g -> info.regionInfo(g);
            case GetRegionIoFds g -> info.regionIoFds(g);
            case IrqInfo i -> info.irqInfo(i);
            case SetIrqs s -> irqs.set(s, fds);
            case RegionRead r -> regions.read(r);
            case RegionWrite w -> regions.write(w);
            case DmaRead r -> Outcome.fail(Errno.EINVAL, "DMA_READ is a server-to-client command");
            case DmaWrite w -> Outcome.fail(Errno.EINVAL, "DMA_WRITE is a server-to-client command");
            case DeviceReset r -> reset();
            case RegionWriteMulti w -> Outcome.fail(Errno.EINVAL, "REGION_WRITE_MULTI: write_multiple was not"
                    + " negotiated");
            case DeviceFeature f -> features.handle(f);
            case MigDataRead r -> migrationData.read(r);
            case MigDataWrite w -> migrationData.write(w);
        };
    }

    /**
     * MIG_DATA_WRITE whose data was checked in place (the reader's lent buffer), without a decoded record.
     *
     * @param data the chunk, position to limit
     */
    Outcome migDataWrite(final ByteBuffer data) throws DeviceException {
        return migrationData.write(data);
    }

    /**
     * MIG_DATA_READ checked in place (the reader's receive buffer), without a decoded record.
     *
     * @param size the request's u32 {@code size}, raw bits
     */
    Outcome migDataRead(final int size) throws DeviceException {
        return migrationData.read(size);
    }

    /** {@return REGION_READ and REGION_WRITE's handler, shared with the in-place path} */
    RegionIoHandler regions() {
        return regions;
    }

    /**
     * DEVICE_RESET (specification "VFIO_USER_DEVICE_RESET") through the migration engine, which also returns the
     * migration state to RUNNING as {@code VFIO_DEVICE_RESET} does for kernel devices and ends any data session
     * (libvfio-user since #844 keeps the migration state instead; see the package documentation).
     */
    private Outcome reset() throws DeviceException {
        served.engine().reset();
        return Outcome.ok(new Ack(Command.DEVICE_RESET));
    }
}
