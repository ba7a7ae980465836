package dev.tern.samples;

import dev.tern.device.DeviceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * The serial line behind a {@link Uart}: what the guest transmits is drained into {@code out} at the line rate the
 * guest programmed (divisor and LCR), and what arrives on {@code in} is injected into the receive FIFO at that rate,
 * never more than the FIFO has room for. So the guest sees a 16550 at its baud rate: its transmitter empties (no
 * {@code closing_wait} stall) and nothing it is sent overruns; when the guest does not read, the line stops reading
 * {@code in} (back-pressure, as RTS/CTS flow control would), and when {@code out} blocks, transmission waits.
 *
 * <p>Two platform threads (daemon): transmit and receive. {@link #close()} stops both; a receive thread blocked in
 * {@code in.read} ends when {@code in} is closed or ends.
 */
public final class UartLine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(UartLine.class.getName());
    private static final long TICK_NANOS = 1_000_000;
    private static final int CHUNK = 256;

    private final Uart uart;
    private final InputStream in;
    private final OutputStream out;
    private final Thread tx;
    private final Thread rx;
    private volatile boolean closed;

    private UartLine(final Uart uart, final InputStream in, final OutputStream out) {
        this.uart = uart;
        this.in = in;
        this.out = out;
        this.tx = Thread.ofPlatform().daemon().name("uart-line-tx").unstarted(this::transmit);
        this.rx = Thread.ofPlatform().daemon().name("uart-line-rx").unstarted(this::receive);
    }

    /**
     * Connects {@code uart} to a backend and starts the line.
     *
     * @param in what the far end sends (an empty stream for none)
     * @param out where the guest's output goes
     * @param uart the device
     * @return the running line; close it to stop
     */
    public static UartLine start(final Uart uart, final InputStream in, final OutputStream out) {
        final UartLine line = new UartLine(uart, in, out);
        line.tx.start();
        line.rx.start();
        return line;
    }

    /** Drains the TX FIFO at line rate: a budget of characters accrues with time, at most one FIFO's worth. */
    private void transmit() {
        double budget = 0;
        long last = System.nanoTime();
        boolean failing = false;
        while (!closed) {
            final long now = System.nanoTime();
            budget = Math.min(Uart16550.FIFO, budget + uart.charsPerSecond() * ((now - last) / 1e9));
            last = now;
            try {
                final byte[] bytes = uart.takeTx((int) budget);
                if (bytes.length > 0) {
                    budget -= bytes.length;
                    out.write(bytes);
                    out.flush();
                    failing = false;
                }
            } catch (final IOException | DeviceException e) {
                if (!failing) {
                    LOG.log(System.Logger.Level.WARNING, "uart: console output failed, guest output is dropped: {0}",
                            e.getMessage());
                }
                failing = true;
            }
            LockSupport.parkNanos(TICK_NANOS);
        }
    }

    /** Reads the far end in chunks and injects each at line rate into free FIFO space before reading more. */
    private void receive() {
        final byte[] buf = new byte[CHUNK];
        try {
            for (int n = in.read(buf); n >= 0 && !closed; n = in.read(buf)) {
                inject(Arrays.copyOf(buf, n));
            }
        } catch (final IOException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.INFO, "uart: console input ended: {0}", e.getMessage());
            }
        }
    }

    private void inject(final byte[] bytes) {
        int done = 0;
        double budget = 0;
        long last = System.nanoTime();
        while (done < bytes.length && !closed) {
            final long now = System.nanoTime();
            budget = Math.min(Uart16550.FIFO, budget + uart.charsPerSecond() * ((now - last) / 1e9));
            last = now;
            final int n = Math.min(Math.min((int) budget, uart.rxSpace()), bytes.length - done);
            if (n > 0) {
                try {
                    final int accepted = uart.injectRx(Arrays.copyOfRange(bytes, done, done + n));
                    done += accepted;
                    budget -= accepted;
                } catch (final DeviceException e) {
                    LOG.log(System.Logger.Level.INFO, "uart: input not delivered: {0}", e.getMessage());
                }
            }
            LockSupport.parkNanos(TICK_NANOS);
        }
    }

    /** Stops the line (the streams stay open: they belong to the caller). */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(tx);
        LockSupport.unpark(rx);
        try {
            tx.join(1000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
