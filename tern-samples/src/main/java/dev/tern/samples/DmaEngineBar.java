package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionHandler;
import java.nio.ByteBuffer;

/**
 * The dma-engine's BAR0: {@link DmaEngineRegisters} as 64-bit little-endian registers. Every access width a guest
 * can issue (1, 2, 4, 8 bytes, at any offset) is accepted: a read extracts the addressed bytes, a write merges them
 * into the register(s) it touches (read-modify-write), as a PCI device with byte enables does. Every write rings
 * the workload's doorbell so a new RING_TAIL is seen at once.
 */
final class DmaEngineBar implements RegionHandler {

    private final DmaEngineRegisters regs;
    private final Runnable doorbell;

    DmaEngineBar(final DmaEngineRegisters regs, final Runnable doorbell) {
        this.regs = regs;
        this.doorbell = doorbell;
    }

    @Override
    public void read(final long offset, final ByteBuffer dst) throws DeviceException {
        synchronized (regs) {
            for (long at = offset; dst.hasRemaining(); ) {
                final int shift = (int) (at & 7);
                final int n = Math.min(8 - shift, dst.remaining());
                final long v = regs.read((int) (at - shift));
                for (int i = 0; i < n; i++) {
                    dst.put((byte) (v >>> (8 * (shift + i))));
                }
                at += n;
            }
        }
    }

    @Override
    public void write(final long offset, final ByteBuffer src) throws DeviceException {
        synchronized (regs) {
            for (long at = offset; src.hasRemaining(); ) {
                final int shift = (int) (at & 7);
                final int n = Math.min(8 - shift, src.remaining());
                final int reg = (int) (at - shift);
                long v = n == 8 ? 0 : regs.read(reg);
                for (int i = 0; i < n; i++) {
                    final int bit = 8 * (shift + i);
                    v = v & ~(0xFFL << bit) | (src.get() & 0xFFL) << bit;
                }
                regs.write(reg, v);
                at += n;
            }
        }
        doorbell.run();
    }
}
