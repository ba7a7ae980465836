package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.DmaSpace;
import dev.tern.device.Irq;
import dev.tern.device.Region;
import dev.tern.device.RegionHandler;
import dev.tern.device.migration.LoadSink;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.SaveSource;
import dev.tern.device.sample.Uart;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A uart whose BAR0 is replaced by one 8-byte register that does DMA while the write is handled: writing v reads
 * the u64 at {@link #IOVA} and writes v + it to {@code IOVA + 8}. With message-based DMA this makes the server send
 * DMA_READ and DMA_WRITE to the client while the client waits for its REGION_WRITE reply, on one socket.
 */
final class SyncDmaDevice implements MigratableDevice {
    static final long IOVA = 0x40000;

    private final Uart uart = new Uart();
    private final List<Region> regions;

    SyncDmaDevice() {
        regions = new ArrayList<>(uart.regions());
        regions.set(0, Region.registers(0, 8, new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                dst.put(new byte[dst.remaining()]);
            }

            @Override
            public void write(final long offset, final ByteBuffer src) throws DeviceException {
                final long v = src.order(ByteOrder.LITTLE_ENDIAN).getLong();
                uart.dma().writeLong(IOVA + 8, v + uart.dma().readLong(IOVA));
            }
        }, uart.gate()));
    }

    @Override
    public String kind() {
        return "sync-dma";
    }

    @Override
    public List<Region> regions() {
        return List.copyOf(regions);
    }

    @Override
    public List<Irq> irqs() {
        return uart.irqs();
    }

    @Override
    public DmaSpace dma() {
        return uart.dma();
    }

    @Override
    public DeviceGate gate() {
        return uart.gate();
    }

    @Override
    public MigrationFlags migrationFlags() {
        return uart.migrationFlags();
    }

    @Override
    public int formatVersion() {
        return uart.formatVersion();
    }

    @Override
    public void stop(final Arc arc) throws DeviceException {
        uart.stop(arc);
    }

    @Override
    public void run(final Arc arc) throws DeviceException {
        uart.run(arc);
    }

    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) throws DeviceException {
        return uart.startStopCopy(arc, preCopy);
    }

    @Override
    public LoadSink startResuming(final Arc arc) throws DeviceException {
        return uart.startResuming(arc);
    }

    @Override
    public long stopCopySize() {
        return uart.stopCopySize();
    }

    @Override
    public long checksum() {
        return uart.checksum();
    }

    @Override
    public void reset() throws DeviceException {
        uart.reset();
    }

    @Override
    public void close() {
        uart.close();
    }
}
