package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;

/**
 * The register file of a 16550 UART with 16-byte FIFOs, as the kernel's mtty sample emulates it (spec §3): RBR/THR,
 * IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR and the DLAB divisor latch. Not thread-safe; {@link Uart} serializes access.
 *
 * <p>Interrupt sources by priority: line status (overrun, if IER.ELSI), received data (at the FIFO trigger level:
 * IIR 0x04; below it a character timeout, IIR 0x0C — a real 16550 waits four character times, this model reports it
 * at once), transmitter empty (IER.ETBEI; cleared by reading IIR or writing THR). MCR.LOOP sends THR to RBR and
 * reflects MCR's modem outputs in MSR.
 *
 * <p>State image (little-endian, {@link #STATE_SIZE} bytes): ier, fcr, lcr, mcr, lsrSticky, msr, scr, flags
 * (bit 0: THR-empty interrupt pending), dll, dlm, rxCount, txCount, rx[16], tx[16] (FIFO order, oldest first).
 */
final class Uart16550 {

    /** Bytes in each FIFO. */
    static final int FIFO = 16;
    /** Size of {@link #save} output. */
    static final int STATE_SIZE = 12 + 2 * FIFO;

    static final int RBR_THR = 0;
    static final int IER = 1;
    static final int IIR_FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RDI = 1;
    static final int IER_THRI = 2;
    static final int IER_RLSI = 4;
    static final int IIR_NONE = 0x01;
    static final int IIR_THRI = 0x02;
    static final int IIR_RDI = 0x04;
    static final int IIR_RLSI = 0x06;
    static final int IIR_TIMEOUT = 0x0C;
    static final int LSR_DR = 0x01;
    static final int LSR_OE = 0x02;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;
    static final int LCR_DLAB = 0x80;
    static final int MCR_LOOP = 0x10;
    static final int FCR_ENABLE = 0x01;

    private static final int[] TRIGGER_LEVELS = {1, 4, 8, 14};

    private int ier;
    private int fcr;
    private int lcr;
    private int mcr;
    private int lsrSticky;
    private int msr;
    private int scr;
    private boolean thriPending;
    private int dll;
    private int dlm;
    private final Fifo rx = new Fifo();
    private final Fifo tx = new Fifo();

    /** A 16-byte ring. */
    private static final class Fifo {
        final byte[] data = new byte[FIFO];
        int head;
        int count;

        boolean offer(final byte b) {
            if (count == FIFO) {
                return false;
            }
            data[(head + count++) % FIFO] = b;
            return true;
        }

        int poll() {
            final int b = data[head] & 0xFF;
            head = (head + 1) % FIFO;
            count--;
            return b;
        }

        void clear() {
            head = 0;
            count = 0;
        }
    }

    Uart16550() {
        reset();
    }

    /** Power-on values: 9600 baud divisor (12), 8N1 cleared, FIFOs empty, MSR with CTS/DSR/DCD set. */
    void reset() {
        ier = 0;
        fcr = 0;
        lcr = 0;
        mcr = 0;
        lsrSticky = 0;
        msr = 0xB0;
        scr = 0;
        thriPending = false;
        dll = 12;
        dlm = 0;
        rx.clear();
        tx.clear();
    }

    /** A guest register read; reading RBR pops the RX FIFO, reading LSR clears the overrun bit. */
    int read(final int reg) throws DeviceException {
        final boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (reg) {
            case RBR_THR -> dlab ? dll : rx.count > 0 ? rx.poll() : 0;
            case IER -> dlab ? dlm : ier;
            case IIR_FCR -> {
                final int iir = iir();
                if (iir == IIR_THRI) {
                    thriPending = false;
                }
                yield iir | ((fcr & FCR_ENABLE) != 0 ? 0xC0 : 0);
            }
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> {
                final int lsr = lsr();
                lsrSticky = 0;
                yield lsr;
            }
            case MSR -> (mcr & MCR_LOOP) != 0 ? loopbackMsr() : msr;
            case SCR -> scr;
            default -> throw new DeviceException(Errno.EINVAL, "no UART register " + reg);
        };
    }

    /**
     * In loopback the modem inputs are wired to the outputs (PC16550D, MCR bit 4): DTR→DSR, RTS→CTS, OUT1→RI,
     * OUT2→DCD. Like QEMU's 16550, no delta bits are reported for the internal change.
     */
    private int loopbackMsr() {
        return (mcr & 0x01) << 5 | (mcr & 0x02) << 3 | (mcr & 0x0C) << 4;
    }

    /** A guest register write. */
    void write(final int reg, final int value) throws DeviceException {
        final int v = value & 0xFF;
        final boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (reg) {
            case RBR_THR -> {
                if (dlab) {
                    dll = v;
                } else {
                    transmit((byte) v);
                }
            }
            case IER -> {
                if (dlab) {
                    dlm = v;
                } else {
                    ier = v & 0x0F;
                    thriPending = (ier & IER_THRI) != 0 && tx.count == 0;
                }
            }
            case IIR_FCR -> {
                if ((v & 0x02) != 0) {
                    rx.clear();
                }
                if ((v & 0x04) != 0) {
                    tx.clear();
                    thriPending = (ier & IER_THRI) != 0;
                }
                fcr = v & 0xC9;
            }
            case LCR -> lcr = v;
            case MCR -> mcr = v & 0x1F;
            case LSR, MSR -> {
                // read-only registers (factory test mode not emulated): writes are ignored, as on real parts
            }
            case SCR -> scr = v;
            default -> throw new DeviceException(Errno.EINVAL, "no UART register " + reg);
        }
    }

    private void transmit(final byte b) {
        thriPending = false;
        if ((mcr & MCR_LOOP) != 0) {
            receive(b);
        } else if (!tx.offer(b)) {
            lsrSticky |= LSR_OE;
        }
    }

    /** The line delivers a byte; when the RX FIFO is full it is lost and LSR.OE set. */
    boolean receive(final byte b) {
        if (rx.offer(b)) {
            return true;
        }
        lsrSticky |= LSR_OE;
        return false;
    }

    /** The line takes up to {@code max} bytes of the TX FIFO; THR-empty is raised when it runs empty. */
    byte[] drainTx(final int max) {
        final byte[] out = new byte[Math.min(max, tx.count)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) tx.poll();
        }
        if (out.length > 0 && tx.count == 0 && (ier & IER_THRI) != 0) {
            thriPending = true;
        }
        return out;
    }

    /**
     * @return characters per second on the line: baud (115200 / divisor) over the frame of LCR (start bit, 5-8
     *         data bits, optional parity, 1 or 2 stop bits)
     */
    int charsPerSecond() {
        final int bits = 1 + 5 + (lcr & 3) + ((lcr & 0x08) != 0 ? 1 : 0) + ((lcr & 0x04) != 0 ? 2 : 1);
        return Math.max(1, 115_200 / Math.max(1, divisor()) / bits);
    }

    /** @return free bytes in the RX FIFO */
    int rxSpace() {
        return FIFO - rx.count;
    }

    int lsr() {
        return lsrSticky | (rx.count > 0 ? LSR_DR : 0) | (tx.count == 0 ? LSR_THRE | LSR_TEMT : 0);
    }

    /** @return the IIR interrupt identification (without FIFO bits) */
    int iir() {
        if ((ier & IER_RLSI) != 0 && (lsrSticky & LSR_OE) != 0) {
            return IIR_RLSI;
        }
        if ((ier & IER_RDI) != 0 && rx.count > 0) {
            final int level = (fcr & FCR_ENABLE) != 0 ? TRIGGER_LEVELS[(fcr >>> 6) & 3] : 1;
            return rx.count >= level ? IIR_RDI : IIR_TIMEOUT;
        }
        if ((ier & IER_THRI) != 0 && thriPending) {
            return IIR_THRI;
        }
        return IIR_NONE;
    }

    /** @return the divisor latch (baud = 115200 / divisor) */
    int divisor() {
        return dll | dlm << 8;
    }

    /** Writes the state image into {@code out}. */
    void save(final ByteBuffer out) {
        out.put((byte) ier).put((byte) fcr).put((byte) lcr).put((byte) mcr).put((byte) lsrSticky).put((byte) msr)
                .put((byte) scr).put((byte) (thriPending ? 1 : 0)).put((byte) dll).put((byte) dlm)
                .put((byte) rx.count).put((byte) tx.count);
        putFifo(out, rx);
        putFifo(out, tx);
    }

    private static void putFifo(final ByteBuffer out, final Fifo f) {
        for (int i = 0; i < FIFO; i++) {
            out.put(i < f.count ? f.data[(f.head + i) % FIFO] : 0);
        }
    }

    /**
     * Validates a state image without changing anything.
     *
     * @throws DeviceException EINVAL naming the bad field
     */
    static void validate(final ByteBuffer in) throws DeviceException {
        final int p = in.position();
        if ((in.get(p + 7) & ~1) != 0) {
            throw new DeviceException(Errno.EINVAL, "uart state: unknown flag bits");
        }
        if ((in.get(p + 10) & 0xFF) > FIFO || (in.get(p + 11) & 0xFF) > FIFO) {
            throw new DeviceException(Errno.EINVAL, "uart state: FIFO count above " + FIFO);
        }
    }

    /** Installs a state image checked by {@link #validate}. */
    void load(final ByteBuffer in) {
        ier = in.get() & 0x0F;
        fcr = in.get() & 0xC9;
        lcr = in.get() & 0xFF;
        mcr = in.get() & 0x1F;
        lsrSticky = in.get() & LSR_OE;
        msr = in.get() & 0xFF;
        scr = in.get() & 0xFF;
        thriPending = (in.get() & 1) != 0;
        dll = in.get() & 0xFF;
        dlm = in.get() & 0xFF;
        final int rxCount = in.get() & 0xFF;
        final int txCount = in.get() & 0xFF;
        loadFifo(in, rx, rxCount);
        loadFifo(in, tx, txCount);
    }

    private static void loadFifo(final ByteBuffer in, final Fifo f, final int count) {
        f.clear();
        for (int i = 0; i < FIFO; i++) {
            final byte b = in.get();
            if (i < count) {
                f.offer(b);
            }
        }
    }
}
