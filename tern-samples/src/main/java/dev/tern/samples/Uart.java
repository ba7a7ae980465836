package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.RegionHandler;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.BufferedSink;
import dev.tern.device.migration.LoadSink;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.SaveSource;
import dev.tern.device.migration.SnapshotSource;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The {@code uart} sample: a single-port 16550 serial device like the kernel's mtty (spec §3). PCI id
 * {@link SampleIds#VENDOR}:{@link SampleIds#UART_DEVICE}, class 07/00/02; BAR0 is an 8-byte I/O region with the
 * UART registers (wider accesses split into bytes); INTx and MSI, one vector each (MSI is used when the VMM installed
 * a trigger after the guest enabled the MSI capability); PCI PM soft reset.
 * The host side of the serial line is {@link #injectRx} and {@link #takeTx}.
 *
 * <p>Migration flags are STOP_COPY|P2P: the device does no DMA at all, so the P2P arcs are no-ops (as mtty) and its
 * 300-byte state is too small for pre-copy to help. Stream payload (format version 1): config space (256 bytes),
 * then the register image of {@link Uart16550}; loading checks the length, the PCI identity and every field before
 * installing anything.
 */
public final class Uart implements MigratableDevice, PciDevice {

    /** Device kind in streams and on the command line. */
    public static final String KIND = "uart";
    /** State format version. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes of state in the stream after the engine's header. */
    public static final int STATE_SIZE = PciConfigSpace.SIZE + Uart16550.STATE_SIZE;

    private final PciConfigSpace config = new PciConfigSpace(SampleIds.VENDOR, SampleIds.UART_DEVICE,
            SampleIds.CLASS_SERIAL_16550, 0x10).bar(0, 8, true).interruptPin(1).powerManagement().msi();
    private final Uart16550 regs = new Uart16550();
    private final PciFunction pci;
    private boolean interruptAsserted;

    /** A new UART in its power-on state. */
    public Uart() {
        // D3hot→D0 (PCI PM soft reset) from the guest: registers to power-on, unless migration froze the device
        pci = PciFunction.builder(config).registers(RegionInfo.PCI_BAR0, 8, new Bar0()).irqs(IrqType.REQ)
                .onSoftReset(this::reset).build();
    }

    /**
     * BAR0: the eight byte-wide UART registers. A wider access is a run of byte accesses to consecutive registers,
     * lowest address first, as a bus splits a 16- or 32-bit cycle to an 8-bit device.
     */
    private final class Bar0 implements RegionHandler {
        @Override
        public void read(final long offset, final ByteBuffer dst) throws DeviceException {
            synchronized (Uart.this) {
                for (int reg = (int) offset; dst.hasRemaining(); reg++) {
                    dst.put((byte) regs.read(reg));
                }
                updateInterrupt();
            }
        }

        @Override
        public void write(final long offset, final ByteBuffer src) throws DeviceException {
            synchronized (Uart.this) {
                for (int reg = (int) offset; src.hasRemaining(); reg++) {
                    regs.write(reg, src.get());
                }
                updateInterrupt();
            }
        }
    }

    /**
     * The far end of the serial line sends bytes. Refused (0 accepted) while the device is stopped: external state
     * may not change in STOP.
     *
     * @param bytes what the far end sends
     * @return bytes that fit in the RX FIFO; the rest are lost with LSR.OE set, as on a real UART
     * @throws DeviceException if the interrupt cannot be raised
     */
    public synchronized int injectRx(final byte[] bytes) throws DeviceException {
        if (!pci.gate().running()) {
            return 0;
        }
        int accepted = 0;
        for (final byte b : bytes) {
            if (regs.receive(b)) {
                accepted++;
            }
        }
        updateInterrupt();
        return accepted;
    }

    /**
     * The far end of the line takes what the guest transmitted (nothing while stopped).
     *
     * @return the bytes, at most a FIFO's worth; empty while stopped
     * @throws DeviceException if the interrupt cannot be raised
     */
    public byte[] takeTx() throws DeviceException {
        return takeTx(Uart16550.FIFO);
    }

    /**
     * The far end of the line takes up to {@code max} transmitted bytes (nothing while stopped).
     *
     * @param max the most bytes to take
     * @return the bytes; empty while stopped
     * @throws DeviceException if the interrupt cannot be raised
     */
    public synchronized byte[] takeTx(final int max) throws DeviceException {
        if (!pci.gate().running()) {
            return new byte[0];
        }
        final byte[] out = regs.drainTx(max);
        updateInterrupt();
        return out;
    }

    /** {@return free bytes in the RX FIFO (what the far end may send without an overrun)} */
    public synchronized int rxSpace() {
        return regs.rxSpace();
    }

    /** {@return the line rate the guest programmed, in characters per second} */
    public synchronized int charsPerSecond() {
        return regs.charsPerSecond();
    }

    /** {@return the divisor latch value (115200 / baud)} */
    public synchronized int divisor() {
        return regs.divisor();
    }

    /** Raises an interrupt on the rising edge of the UART's interrupt output. */
    private void updateInterrupt() throws DeviceException {
        final boolean asserted = regs.iir() != Uart16550.IIR_NONE;
        if (asserted && !interruptAsserted) {
            pci.interrupt();
        }
        interruptAsserted = asserted;
    }

    private synchronized byte[] snapshot() {
        final ByteBuffer b = ByteBuffer.allocate(STATE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(config.snapshot());
        regs.save(b);
        return b.array();
    }

    private synchronized void load(final ByteBuffer state) throws DeviceException {
        if (state.remaining() != STATE_SIZE) {
            throw new DeviceException(Errno.EINVAL, "uart state must be " + STATE_SIZE + " bytes, got "
                    + state.remaining() + (state.remaining() < STATE_SIZE ? " (truncated)" : ""));
        }
        final byte[] cfg = new byte[PciConfigSpace.SIZE];
        state.get(cfg);
        final ByteBuffer id = ByteBuffer.wrap(cfg).order(ByteOrder.LITTLE_ENDIAN);
        if (id.getShort(0) != (short) SampleIds.VENDOR || id.getShort(2) != (short) SampleIds.UART_DEVICE) {
            throw new DeviceException(Errno.EINVAL, "uart state is for PCI device "
                    + Integer.toHexString(id.getInt(0)));
        }
        Uart16550.validate(state);
        config.restore(cfg);
        regs.load(state);
        interruptAsserted = regs.iir() != Uart16550.IIR_NONE;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public PciFunction function() {
        return pci;
    }

    @Override
    public MigrationFlags migrationFlags() {
        return MigrationFlags.P2P;
    }

    @Override
    public int formatVersion() {
        return FORMAT_VERSION;
    }

    /** Nothing runs on its own: the gate already freezes register access and latches interrupts. */
    @Override
    public void stop(final Arc arc) {
    }

    @Override
    public void run(final Arc arc) {
    }

    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) {
        return new SnapshotSource(snapshot());
    }

    @Override
    public LoadSink startResuming(final Arc arc) {
        return new BufferedSink(STATE_SIZE, this::load);
    }

    @Override
    public long stopCopySize() {
        return STATE_SIZE;
    }

    @Override
    public long checksum() {
        final CRC32C crc = new CRC32C();
        crc.update(snapshot());
        return crc.getValue();
    }

    @Override
    public synchronized void reset() {
        regs.reset();
        interruptAsserted = false;
    }

    @Override
    public void close() {
        pci.dma().unmapAll();
    }
}
