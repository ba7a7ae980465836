package dev.tern.device.sample;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionHandler;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The dma-engine's BAR0: {@link DmaEngineRegisters} as 64-bit registers, accessed 4 or 8 bytes at a time (aligned,
 * little-endian); every write rings the workload's doorbell so a new RING_TAIL is seen at once.
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
        final int width = check(offset, dst.remaining());
        final long v;
        synchronized (regs) {
            v = regs.read((int) (offset & ~7L));
        }
        final ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (width == 8) {
            b.putLong(v);
        } else {
            b.putInt((int) (v >>> (8 * (offset & 4))));
        }
        dst.position(b.position());
    }

    @Override
    public void write(final long offset, final ByteBuffer src) throws DeviceException {
        final int width = check(offset, src.remaining());
        final ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        synchronized (regs) {
            final int reg = (int) (offset & ~7L);
            final long v = width == 8 ? b.getLong()
                    : (regs.read(reg) & ~(0xFFFF_FFFFL << (8 * (offset & 4))))
                            | (b.getInt() & 0xFFFF_FFFFL) << (8 * (offset & 4));
            regs.write(reg, v);
        }
        src.position(b.position());
        doorbell.run();
    }

    private static int check(final long offset, final int width) throws DeviceException {
        if ((width != 4 && width != 8) || offset % width != 0) {
            throw new DeviceException(Errno.EINVAL, "dma-engine registers take aligned 4- or 8-byte accesses");
        }
        return width;
    }
}
