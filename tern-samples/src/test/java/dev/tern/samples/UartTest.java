package dev.tern.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqType;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.sys.PosixException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UartTest {

    private final Uart uart = new Uart();
    private final MigrationEngine engine = MigrationEngine.of(uart);
    private final Region bar0 = uart.regions().get(RegionInfo.PCI_BAR0);

    UartTest() throws DeviceException {
        enableIo(uart);
    }

    /** What the guest's PCI core does before a driver touches the port: set I/O Space Enable. */
    static void enableIo(final Uart u) throws DeviceException {
        u.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                ByteBuffer.wrap(new byte[] {PciConfigSpace.COMMAND_IO, 0}));
    }

    @Test
    void withIoSpaceDisabledThePortReadsAllOnesAndIgnoresWrites() throws Exception {
        final Region cfg = uart.regions().get(RegionInfo.PCI_CONFIG);
        write(Uart16550.SCR, 0x12);
        cfg.write(PciConfigSpace.COMMAND, ByteBuffer.wrap(new byte[] {PciConfigSpace.COMMAND_MEMORY, 0}));
        assertThat(read(Uart16550.SCR)).as("not decoded: all ones").isEqualTo(0xFF);
        write(Uart16550.SCR, 0x34);
        write(Uart16550.RBR_THR, 'x');
        enableIo(uart);
        assertThat(read(Uart16550.SCR)).as("the write while disabled vanished").isEqualTo(0x12);
        assertThat(uart.takeTx()).isEmpty();
    }

    private int read(final Uart u, final int reg) throws DeviceException {
        final ByteBuffer b = ByteBuffer.allocate(1);
        u.regions().get(0).read(reg, b);
        return b.get(0) & 0xFF;
    }

    private int read(final int reg) throws DeviceException {
        return read(uart, reg);
    }

    private void write(final int reg, final int value) throws DeviceException {
        bar0.write(reg, ByteBuffer.wrap(new byte[] {(byte) value}));
    }

    private static void attach(final Uart u, final EventFd efd) throws DeviceException {
        u.irqs().get(IrqType.MSI.index()).setTrigger(0, () -> {
            try {
                efd.signal();
            } catch (final PosixException e) {
                throw new DeviceException(e.errno(), e.getMessage());
            }
        });
    }

    @Test
    void pciIdentityAndBarLayout() throws Exception {
        final ByteBuffer id = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        uart.regions().get(RegionInfo.PCI_CONFIG).read(0, id);
        assertThat(id.getInt(0)).isEqualTo(SampleIds.VENDOR | SampleIds.UART_DEVICE << 16);
        assertThat(bar0.info().size()).isEqualTo(8);
        assertThat(uart.info().numRegions()).isEqualTo(RegionInfo.PCI_NUM_REGIONS);
        assertThat(uart.info().numIrqs()).isEqualTo(5);
    }

    @Test
    void widerAccessesAreRunsOfByteAccessesToConsecutiveRegisters() throws Exception {
        write(Uart16550.SCR, 0x5A);
        write(Uart16550.LCR, 0x03);
        final ByteBuffer two = ByteBuffer.allocate(2);
        bar0.read(Uart16550.LCR, two);
        assertThat(two.array()).containsExactly(0x03, 0x00);
        final ByteBuffer four = ByteBuffer.allocate(4);
        bar0.read(Uart16550.MCR, four);
        assertThat(four.get(3)).as("SCR is the fourth byte from MCR").isEqualTo((byte) 0x5A);
        bar0.write(Uart16550.MCR, ByteBuffer.wrap(new byte[] {0x00, 0x00, 0x00, 0x21}));
        assertThat(read(Uart16550.SCR)).isEqualTo(0x21);
    }

    @Test
    void loopbackReflectsModemControlOutputsInModemStatusAsA16550() throws Exception {
        assertThat(read(Uart16550.MSR)).as("far end: CTS, DSR, DCD").isEqualTo(0xB0);
        write(Uart16550.MCR, Uart16550.MCR_LOOP);
        assertThat(read(Uart16550.MSR)).as("MCR=0x10").isZero();
        write(Uart16550.MCR, Uart16550.MCR_LOOP | 0x0A);
        assertThat(read(Uart16550.MSR)).as("RTS->CTS, OUT2->DCD (the 8250 driver's probe)").isEqualTo(0x90);
        write(Uart16550.MCR, Uart16550.MCR_LOOP | 0x05);
        assertThat(read(Uart16550.MSR)).as("DTR->DSR, OUT1->RI").isEqualTo(0x60);
        write(Uart16550.MCR, 0);
        assertThat(read(Uart16550.MSR)).isEqualTo(0xB0);
    }

    @Test
    void powerStateD3hotToD0ResetsRegistersAndConfigSpace() throws Exception {
        final Region cfg = uart.regions().get(RegionInfo.PCI_CONFIG);
        write(Uart16550.SCR, 0x77);
        cfg.write(PciConfigSpace.COMMAND, ByteBuffer.wrap(new byte[] {1, 0}));
        final ByteBuffer cap = ByteBuffer.allocate(1);
        cfg.read(PciConfigSpace.CAPABILITIES, cap);
        assertThat(cap.get(0)).as("capability list starts with PM").isEqualTo((byte) PciConfigSpace.PM_CAP);
        cfg.write(PciConfigSpace.PM_CAP + 4, ByteBuffer.wrap(new byte[] {3}));
        assertThat(read(Uart16550.SCR)).as("D3hot keeps state").isEqualTo(0x77);
        cfg.write(PciConfigSpace.PM_CAP + 4, ByteBuffer.wrap(new byte[] {0}));
        final ByteBuffer cmd = ByteBuffer.allocate(1);
        cfg.read(PciConfigSpace.COMMAND, cmd);
        assertThat(cmd.get(0)).as("config space back to power-on: decoding off").isZero();
        enableIo(uart);
        assertThat(read(Uart16550.SCR)).as("D3hot->D0 soft reset").isZero();
    }

    @Test
    void divisorLatchTransmitAndLineStatus() throws Exception {
        write(Uart16550.LCR, 0x83);
        write(Uart16550.RBR_THR, 0x01);
        write(Uart16550.IER, 0x00);
        write(Uart16550.LCR, 0x03);
        assertThat(uart.divisor()).isEqualTo(1);
        write(Uart16550.RBR_THR, 'h');
        write(Uart16550.RBR_THR, 'i');
        assertThat(read(Uart16550.LSR) & Uart16550.LSR_THRE).isZero();
        assertThat(new String(uart.takeTx(), StandardCharsets.US_ASCII)).isEqualTo("hi");
        assertThat(read(Uart16550.LSR) & Uart16550.LSR_THRE).isNotZero();
        write(Uart16550.SCR, 0x5A);
        assertThat(read(Uart16550.SCR)).isEqualTo(0x5A);
    }

    @Test
    void receivedDataRaisesAnInterruptThroughTheEventfdAndOverrunsSetOe() throws Exception {
        try (EventFd efd = EventFd.create()) {
            attach(uart, efd);
            write(Uart16550.IER, Uart16550.IER_RDI | Uart16550.IER_RLSI);
            assertThat(read(Uart16550.IIR_FCR)).isEqualTo(Uart16550.IIR_NONE);
            assertThat(uart.injectRx("abc".getBytes(StandardCharsets.US_ASCII))).isEqualTo(3);
            assertThat(efd.consume(Duration.ofSeconds(1))).isEqualTo(1);
            assertThat(read(Uart16550.IIR_FCR)).isEqualTo(Uart16550.IIR_RDI);
            assertThat(read(Uart16550.LSR) & Uart16550.LSR_DR).isNotZero();
            assertThat((char) read(Uart16550.RBR_THR)).isEqualTo('a');
            assertThat((char) read(Uart16550.RBR_THR)).isEqualTo('b');
            assertThat((char) read(Uart16550.RBR_THR)).isEqualTo('c');
            assertThat(read(Uart16550.IIR_FCR)).isEqualTo(Uart16550.IIR_NONE);
            assertThat(uart.injectRx(new byte[20])).isEqualTo(16);
            assertThat(efd.consume(Duration.ofSeconds(1))).isEqualTo(1);
            assertThat(read(Uart16550.IIR_FCR)).isEqualTo(Uart16550.IIR_RLSI);
            assertThat(read(Uart16550.LSR) & Uart16550.LSR_OE).isNotZero();
            assertThat(read(Uart16550.LSR) & Uart16550.LSR_OE).as("OE clears on read").isZero();
        }
    }

    @Test
    void fifoTriggerLevelLoopbackAndThrEmptyInterrupt() throws Exception {
        write(Uart16550.IIR_FCR, 0x41);
        write(Uart16550.IER, Uart16550.IER_RDI);
        write(Uart16550.MCR, Uart16550.MCR_LOOP);
        write(Uart16550.RBR_THR, 'x');
        assertThat(read(Uart16550.IIR_FCR) & 0x0F).as("below trigger level 4: timeout").isEqualTo(0x0C);
        for (final char c : "yzw".toCharArray()) {
            write(Uart16550.RBR_THR, c);
        }
        assertThat(read(Uart16550.IIR_FCR)).isEqualTo(0xC0 | Uart16550.IIR_RDI);
        assertThat(uart.takeTx()).isEmpty();
        write(Uart16550.IER, Uart16550.IER_THRI);
        assertThat(read(Uart16550.IIR_FCR) & 0x0F).isEqualTo(Uart16550.IIR_THRI);
        assertThat(read(Uart16550.IIR_FCR) & 0x0F).as("reading IIR clears THRI").isEqualTo(Uart16550.IIR_NONE);
    }

    @Test
    void stoppedUartFreezesRegistersAndTheLineButNotConfigSpace() throws Exception {
        engine.setState(MigrationState.STOP);
        assertThatThrownBy(() -> read(Uart16550.RBR_THR)).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        assertThat(uart.injectRx(new byte[] {1})).isZero();
        uart.regions().get(RegionInfo.PCI_CONFIG).read(0, ByteBuffer.allocate(4));
        engine.setState(MigrationState.RUNNING);
        assertThat(uart.injectRx(new byte[] {1})).isEqualTo(1);
    }

    @Test
    void fifoContentsRegistersAndDivisorMigrate() throws Exception {
        write(Uart16550.LCR, 0x80);
        write(Uart16550.RBR_THR, 0x0C);
        write(Uart16550.LCR, 0x1B);
        write(Uart16550.IER, Uart16550.IER_RDI);
        write(Uart16550.SCR, 0x77);
        write(Uart16550.RBR_THR, 'T');
        uart.injectRx("migrate".getBytes(StandardCharsets.US_ASCII));
        read(Uart16550.RBR_THR);
        final MigrationStream out = engine.setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final long sum = engine.checksum();
        final ByteBuffer buf = ByteBuffer.allocate(4096);
        while (out.read(buf) > 0) {
            assertThat(buf.position()).isLessThanOrEqualTo(Uart.STATE_SIZE + 64);
        }
        final Uart dst = new Uart();
        final MigrationEngine de = MigrationEngine.of(dst);
        de.setState(MigrationState.RESUMING).stream().orElseThrow().write(buf.flip());
        de.setState(MigrationState.RUNNING);
        assertThat(de.checksum()).isEqualTo(sum);
        assertThat(dst.divisor()).isEqualTo(12);
        assertThat(read(dst, Uart16550.LCR)).isEqualTo(0x1B);
        assertThat(read(dst, Uart16550.SCR)).isEqualTo(0x77);
        final StringBuilder rx = new StringBuilder();
        while ((read(dst, Uart16550.LSR) & Uart16550.LSR_DR) != 0) {
            rx.append((char) read(dst, Uart16550.RBR_THR));
        }
        assertThat(rx).hasToString("igrate");
        assertThat(new String(dst.takeTx(), StandardCharsets.US_ASCII)).isEqualTo("T");
        assertThat(PciConfigSpace.SIZE + Uart16550.STATE_SIZE).isEqualTo(Uart.STATE_SIZE);
    }
}
