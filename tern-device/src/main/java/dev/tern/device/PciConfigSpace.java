package dev.tern.device;

import java.nio.ByteBuffer;

/**
 * A type-0 PCI configuration header (256 bytes) for emulated devices: identity registers, command and status,
 * BARs with the size-probing behaviour (write all ones, read back the size mask), the interrupt line and a
 * capability list (power management and MSI, see {@link #powerManagement()} and {@link #msi()}).
 *
 * <p>Writes go through per-byte masks, as PCI defines the registers (PCI Local Bus 3.0 §6.2): writable bits take the
 * written value, write-1-to-clear bits (the status error bits) are cleared by a 1, everything else is read-only and
 * ignores writes. Its bytes are part of the device state, so devices include {@link #snapshot()} in their migration
 * stream.
 *
 * <p>The command register gates the device as hardware would: {@link #busMasterEnabled()} (bit 2) is consulted by
 * {@link DeviceGate#checkBusMaster} before every DMA; a DMA refused for it sets "Received Master Abort" (status bit
 * 13), which a driver reads and clears (write 1). I/O and Memory Space Enable (bits 0 and 1) decide whether the BARs
 * answer ({@link #decodes}). A power-state change D3hot→D0 with No_Soft_Reset clear (PCI PM 1.2
 * §5.4.1) resets this header to its power-on values and runs the device's {@link #onSoftReset reset}: that is the
 * reset Linux performs with {@code reset_method=pm}.
 */
public final class PciConfigSpace implements RegionHandler {

    /** Size of the emulated header. */
    public static final int SIZE = 256;
    /** PCI command register offset. */
    public static final int COMMAND = 0x04;
    /** PCI status register offset. */
    public static final int STATUS = 0x06;
    /** First BAR offset. */
    public static final int BAR0 = 0x10;
    /** Capabilities pointer offset. */
    public static final int CAPABILITIES = 0x34;
    /** Interrupt line register offset. */
    public static final int INTERRUPT_LINE = 0x3C;
    /** Interrupt pin register offset. */
    public static final int INTERRUPT_PIN = 0x3D;
    /** Offset of the power management capability, when present (8 bytes). */
    public static final int PM_CAP = 0x40;
    /** Offset of the MSI capability, when present (64-bit address, per-vector masking: 24 bytes). */
    public static final int MSI_CAP = 0x48;

    /** Command bit: I/O Space Enable. */
    public static final int COMMAND_IO = 1;
    /** Command bit: Memory Space Enable. */
    public static final int COMMAND_MEMORY = 2;
    /** Command bit: Bus Master Enable. */
    public static final int COMMAND_MASTER = 4;
    /** Status bit: the capability list at {@link #CAPABILITIES} exists. */
    public static final int STATUS_CAP_LIST = 1 << 4;
    /** Status bit (write 1 to clear): a DMA of this function was master-aborted. */
    public static final int STATUS_RECEIVED_MASTER_ABORT = 1 << 13;

    private static final int COMMAND_WRITABLE = 0x0547;
    /** Parity, target/master abort, system error bits: write 1 to clear. */
    private static final int STATUS_W1C = 0xF900;
    private static final int PMCSR = PM_CAP + 4;
    private static final int PM_STATE_MASK = 3;
    private static final int PM_D3HOT = 3;

    private final byte[] cfg = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] clearable = new byte[SIZE];
    private final long[] barSizes = new long[6];
    private byte[] powerOn;
    private int lastCapability;
    private boolean powerManaged;
    private volatile Runnable softReset = () -> { };

    /**
     * A type 0 configuration header with these identifiers, no BARs and no capabilities yet; the fields a guest may
     * write (command, status bits to clear, cache line, latency, interrupt line) are writable.
     *
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
        mask(writable, COMMAND, 2, COMMAND_WRITABLE);
        mask(clearable, STATUS, 2, STATUS_W1C);
        mask(writable, 0x0C, 2, 0xFFFF);
        mask(writable, INTERRUPT_LINE, 1, 0xFF);
        powerOn = cfg.clone();
    }

    /**
     * Declares BAR {@code index} of {@code size} bytes (a power of two).
     *
     * @param io true for an I/O-space BAR, false for 32-bit memory
     * @param index the BAR number, 0 to 5
     * @param size the BAR size in bytes, a power of two
     * @return this
     */
    public synchronized PciConfigSpace bar(final int index, final long size, final boolean io) {
        if (Long.bitCount(size) != 1 || size > 1L << 31) {
            throw new IllegalArgumentException("BAR size must be a power of two up to 2 GiB");
        }
        barSizes[index] = size;
        put32(BAR0 + 4 * index, io ? 1 : 0);
        powerOn = cfg.clone();
        return this;
    }

    /**
     * {@return this}
     *
     * @param pin 1 = INTA# … 4 = INTD#, 0 = none
     */
    public synchronized PciConfigSpace interruptPin(final int pin) {
        cfg[INTERRUPT_PIN] = (byte) pin;
        powerOn = cfg.clone();
        return this;
    }

    /**
     * Adds the power management capability (PCI PM 1.2 §3.2) at {@link #PM_CAP}: version 3, D0 and D3hot only,
     * No_Soft_Reset clear, so D3hot→D0 resets the function.
     *
     * @return this
     */
    public synchronized PciConfigSpace powerManagement() {
        link(PM_CAP, 0x01);
        powerManaged = true;
        put16(PM_CAP + 2, 0x0003);
        mask(writable, PMCSR, 1, PM_STATE_MASK);
        powerOn = cfg.clone();
        return this;
    }

    /**
     * Adds an MSI capability (PCI 3.0 §6.8.1) at {@link #MSI_CAP}: one vector, 64-bit address, per-vector masking.
     * A VMM emulates MSI delivery from it (QEMU enables the MSI IRQ index when the guest sets MSI Enable).
     *
     * @return this
     */
    public synchronized PciConfigSpace msi() {
        link(MSI_CAP, 0x05);
        put16(MSI_CAP + 2, 0x0180);
        mask(writable, MSI_CAP + 2, 1, 0x71);
        mask(writable, MSI_CAP + 4, 4, 0xFFFF_FFFC);
        mask(writable, MSI_CAP + 8, 4, 0xFFFF_FFFF);
        mask(writable, MSI_CAP + 12, 2, 0xFFFF);
        mask(writable, MSI_CAP + 16, 4, 1);
        powerOn = cfg.clone();
        return this;
    }

    /**
     * Registers what a D3hot→D0 soft reset does to the rest of the device (its registers).
     *
     * @param reset what the device does on that reset
     */
    public void onSoftReset(final Runnable reset) {
        this.softReset = reset;
    }

    private void link(final int at, final int id) {
        cfg[at] = (byte) id;
        cfg[lastCapability == 0 ? CAPABILITIES : lastCapability + 1] = (byte) at;
        lastCapability = at;
        put16(STATUS, get16(STATUS) | STATUS_CAP_LIST);
    }

    @Override
    public synchronized void read(final long offset, final ByteBuffer dst) {
        final int n = dst.remaining();
        dst.put(cfg, (int) offset, n);
    }

    @Override
    public void write(final long offset, final ByteBuffer src) {
        final boolean reset;
        synchronized (this) {
            final int stateBefore = powerState();
            int at = (int) offset;
            while (src.hasRemaining()) {
                writeByte(at++, src.get());
            }
            reset = stateBefore == PM_D3HOT && powerState() == 0;
            if (reset) {
                System.arraycopy(powerOn, 0, cfg, 0, SIZE);
            }
        }
        if (reset) {
            softReset.run();
        }
    }

    private void writeByte(final int at, final byte b) {
        if (at >= BAR0 && at < BAR0 + 24) {
            cfg[at] = b;
            normaliseBar((at - BAR0) / 4);
            return;
        }
        final int w = writable[at] & 0xFF;
        cfg[at] = (byte) ((cfg[at] & ~w | b & w) & ~(b & clearable[at]));
    }

    private int powerState() {
        return powerManaged ? cfg[PMCSR] & PM_STATE_MASK : 0;
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

    /** {@return true if the command register lets the function master the bus (initiate DMA)} */
    public synchronized boolean busMasterEnabled() {
        return (cfg[COMMAND] & COMMAND_MASTER) != 0;
    }

    /**
     * {@return true if the command register enables the address space of that BAR (I/O Space Enable for an I/O BAR,
     * Memory Space Enable for a memory BAR); a function whose decoding is off does not claim the access}
     *
     * @param bar a BAR index (0-5)
     */
    public synchronized boolean decodes(final int bar) {
        final int enable = (cfg[BAR0 + 4 * bar] & 1) == 1 ? COMMAND_IO : COMMAND_MEMORY;
        return (cfg[COMMAND] & enable) != 0;
    }

    /** Records a DMA the function could not perform: status "Received Master Abort". */
    public synchronized void masterAbort() {
        put16(STATUS, get16(STATUS) | STATUS_RECEIVED_MASTER_ABORT);
    }

    /** {@return a copy of the 256 bytes} */
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

    /**
     * {@return the 16-bit value at {@code offset}}
     *
     * @param offset the byte offset in the configuration space
     */
    public synchronized int get16(final int offset) {
        return (cfg[offset] & 0xFF) | (cfg[offset + 1] & 0xFF) << 8;
    }

    /**
     * {@return the 32-bit value at {@code offset}}
     *
     * @param offset the byte offset in the configuration space
     */
    public synchronized int get32(final int offset) {
        return get16(offset) | get16(offset + 2) << 16;
    }

    private static void mask(final byte[] masks, final int offset, final int width, final int bits) {
        for (int i = 0; i < width; i++) {
            masks[offset + i] = (byte) (bits >>> (8 * i));
        }
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
