package dev.tern.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The serial line behind the uart, driven the way the 8250 driver drives the registers (polling LSR): output is
 * drained completely, in order and no faster than the programmed baud rate; input is injected without ever
 * overrunning the receive FIFO, however fast the far end sends.
 */
@Timeout(60)
class UartLineTest {

    private final Uart uart = new Uart();
    private final Region bar0 = uart.regions().get(RegionInfo.PCI_BAR0);

    private int read(final int reg) throws Exception {
        final ByteBuffer b = ByteBuffer.allocate(1);
        bar0.read(reg, b);
        return b.get(0) & 0xFF;
    }

    private void write(final int reg, final int v) throws Exception {
        bar0.write(reg, ByteBuffer.wrap(new byte[] {(byte) v}));
    }

    /** 115200 baud (divisor 1), 8N1: 11,520 characters per second. */
    private void program115200() throws Exception {
        UartTest.enableIo(uart);
        write(Uart16550.LCR, 0x83);
        write(Uart16550.RBR_THR, 1);
        write(Uart16550.IER, 0);
        write(Uart16550.LCR, 0x03);
        assertThat(uart.charsPerSecond()).isEqualTo(11_520);
    }

    @Test
    void transmitIsDrainedCompletelyInOrderAtLineRate() throws Exception {
        program115200();
        final byte[] text = new byte[2304];
        new Random(7).nextBytes(text);
        final ByteArrayOutputStream far = new ByteArrayOutputStream();
        final long start = System.nanoTime();
        try (UartLine line = UartLine.start(uart, InputStream.nullInputStream(), far)) {
            int sent = 0;
            while (sent < text.length) {
                if ((read(Uart16550.LSR) & Uart16550.LSR_THRE) != 0) {
                    for (int i = 0; i < Uart16550.FIFO && sent < text.length; i++) {
                        write(Uart16550.RBR_THR, text[sent++]);
                    }
                }
                Thread.onSpinWait();
            }
            while ((read(Uart16550.LSR) & Uart16550.LSR_TEMT) == 0) {
                Thread.sleep(1);
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(far.toByteArray()).isEqualTo(text);
        assertThat(read(Uart16550.LSR) & Uart16550.LSR_OE).as("no overrun").isZero();
        assertThat(seconds).as("2304 characters at 11520/s take at least 0.2 s").isGreaterThan(0.15);
    }

    @Test
    void receiveNeverOverrunsTheFifoWhenTheGuestReadsSlowly() throws Exception {
        program115200();
        final byte[] text = new byte[600];
        new Random(11).nextBytes(text);
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (UartLine line = UartLine.start(uart, new ByteArrayInputStream(text), OutputStream.nullOutputStream())) {
            while (got.size() < text.length) {
                final int lsr = read(Uart16550.LSR);
                assertThat(lsr & Uart16550.LSR_OE).as("overrun after %d bytes", got.size()).isZero();
                if ((lsr & Uart16550.LSR_DR) != 0) {
                    got.write(read(Uart16550.RBR_THR));
                    if (got.size() % 100 == 0) {
                        Thread.sleep(50);                                // a slow reader: the FIFO fills up
                    }
                }
            }
        }
        assertThat(got.toByteArray()).isEqualTo(text);
    }
}
