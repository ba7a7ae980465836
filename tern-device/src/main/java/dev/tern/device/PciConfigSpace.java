package dev.tern.device;

import java.nio.ByteBuffer;

/**
 * A type-0 PCI configuration header (256 bytes) for emulated devices: identity registers, the command register,
 * BARs with the size-probing behaviour (write all ones, read back the size mask) and the interrupt line.
 *
 * <p>Only the fields a VMM writes are writable; everything else ignores writes, as read-only config registers do.
 * Its bytes are part of the device state, so devices include {@link #snapshot()} in their migration stream.
 */
public final class PciConfigSpace implements RegionHandler {

    /** Size of the emulated header. */
    public static final int SIZE = 256;
    /** PCI command register offset. */
    public static final int COMMAND = 0x04;
    /** First BAR offset. */
    public static final int BAR0 = 0x10;
    /** Interrupt line register offset. */
    public static final int INTERRUPT_LINE = 0x3C;
    /** Interrupt pin register offset. */
    public static final int INTERRUPT_PIN = 0x3D;

    private static final int COMMAND_WRITABLE = 0x0547;

    private final byte[] cfg = new byte[SIZE];
    private final long[] barSizes = new long[6];

    /**
     * @param vendorId PCI vendor id
     * @param deviceId PCI device id
     * @param classCode 24-bit class code (class, subclass, prog-if)
     * @param revision revision id
     */
    public PciConfigSpace(final int vendorId, final int deviceId, final int classCode, final int revision) {
        put16(0x00, vendorId);
        put16(0x02, deviceId);
        cfg[0x08] = (byte) revision;
        cfg[0x09] = (byte) classCode;
        cfg[0x0A] = (byte) (classCode >>> 8);
        cfg[0x0B] = (byte) (classCode >>> 16);
        put16(0x2C, vendorId);
        put16(0x2E, deviceId);
    }

    /**
     * Declares BAR {@code index} of {@code size} bytes (a power of two).
     *
     * @param io true for an I/O-space BAR, false for 32-bit memory
     * @return this
     */
    public PciConfigSpace bar(final int index, final long size, final boolean io) {
        if (Long.bitCount(size) != 1 || size > 1L << 31) {
            throw new IllegalArgumentException("BAR size must be a power of two up to 2 GiB");
        }
        barSizes[index] = size;
        put32(BAR0 + 4 * index, io ? 1 : 0);
        return this;
    }

    /**
     * @param pin 1 = INTA# … 4 = INTD#, 0 = none
     * @return this
     */
    public PciConfigSpace interruptPin(final int pin) {
        cfg[INTERRUPT_PIN] = (byte) pin;
        return this;
    }

    @Override
    public synchronized void read(final long offset, final ByteBuffer dst) {
        final int n = dst.remaining();
        dst.put(cfg, (int) offset, n);
    }

    @Override
    public synchronized void write(final long offset, final ByteBuffer src) {
        writeByte((int) offset, src);
    }

    private void writeByte(final int start, final ByteBuffer src) {
        int at = start;
        while (src.hasRemaining()) {
            final byte b = src.get();
            if (at == COMMAND || at == COMMAND + 1) {
                final int shift = (at - COMMAND) * 8;
                cfg[at] = (byte) (b & (COMMAND_WRITABLE >>> shift));
            } else if (at >= BAR0 && at < BAR0 + 24) {
                cfg[at] = b;
                normaliseBar((at - BAR0) / 4);
            } else if (at == INTERRUPT_LINE || at == 0x0C || at == 0x0D) {
                cfg[at] = b;
            }
            at++;
        }
    }

    private void normaliseBar(final int index) {
        final int off = BAR0 + 4 * index;
        final long size = barSizes[index];
        if (size == 0) {
            put32(off, 0);
            return;
        }
        final int type = cfg[off] & 1;
        final int value = get32(off) & (int) ~(size - 1) & (type == 1 ? ~0x3 : ~0xF);
        put32(off, value | type);
    }

    /** @return a copy of the 256 bytes */
    public synchronized byte[] snapshot() {
        return cfg.clone();
    }

    /**
     * Replaces the 256 bytes (loading migrated state).
     *
     * @param bytes exactly {@link #SIZE} bytes
     */
    public synchronized void restore(final byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("config space is " + SIZE + " bytes");
        }
        System.arraycopy(bytes, 0, cfg, 0, SIZE);
    }

    /** @return the 16-bit value at {@code offset} */
    public synchronized int get16(final int offset) {
        return (cfg[offset] & 0xFF) | (cfg[offset + 1] & 0xFF) << 8;
    }

    /** @return the 32-bit value at {@code offset} */
    public synchronized int get32(final int offset) {
        return get16(offset) | get16(offset + 2) << 16;
    }

    private void put16(final int offset, final int v) {
        cfg[offset] = (byte) v;
        cfg[offset + 1] = (byte) (v >>> 8);
    }

    private void put32(final int offset, final int v) {
        put16(offset, v);
        put16(offset + 2, v >>> 16);
    }
}
