package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionHandler;
import dev.tern.vfiouser.server.Bar0Uart;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A uart whose BAR0 is one 8-byte register that does DMA while the write is handled: writing v reads the u64 at
 * {@link #IOVA} and writes v + it to {@code IOVA + 8}. With message-based DMA this makes the server send DMA_READ and
 * DMA_WRITE to the client while the client waits for its REGION_WRITE reply, on one socket.
 */
public final class SyncDmaDevice {
    /** Where the device reads its addend (u64) and writes the sum (at + 8). */
    public static final long IOVA = 0x40000;

    private SyncDmaDevice() {
    }

    /** @return a new device */
    public static Bar0Uart create() {
        return new Bar0Uart("sync-dma", uart -> new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                dst.put(new byte[dst.remaining()]);
            }

            @Override
            public void write(final long offset, final ByteBuffer src) throws DeviceException {
                final long v = src.order(ByteOrder.LITTLE_ENDIAN).getLong();
                uart.dma().writeLong(IOVA + 8, v + uart.dma().readLong(IOVA));
            }
        });
    }
}
