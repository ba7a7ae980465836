package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceGate.Activity;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PciFunctionTest {

    private static final RegionHandler ZEROES = new RegionHandler() {
        @Override
        public void read(final long offset, final ByteBuffer dst) {
            dst.position(dst.limit());
        }

        @Override
        public void write(final long offset, final ByteBuffer src) {
            src.position(src.limit());
        }
    };

    private static PciConfigSpace config() {
        return new PciConfigSpace(0x7E27, 0x0F0F, 0x088000, 1).bar(0, 16, false).interruptPin(1)
                .powerManagement().msi();
    }

    private static ByteBuffer le16(final int v) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) v);
    }

    @Test
    void fillsEveryRegionIndexAndPutsConfigSpaceAtSeven() {
        final PciFunction f = PciFunction.builder(config()).registers(0, 16, ZEROES).build();
        assertThat(f.regions()).hasSize(RegionInfo.PCI_NUM_REGIONS);
        for (int i = 0; i < RegionInfo.PCI_NUM_REGIONS; i++) {
            final RegionInfo info = f.regions().get(i).info();
            assertThat(info.index()).isEqualTo(i);
            assertThat(info.size()).as("region " + i).isEqualTo(switch (i) {
                case 0 -> 16L;
                case RegionInfo.PCI_CONFIG -> (long) PciConfigSpace.SIZE;
                default -> 0L;
            });
        }
        assertThat(f.irqs()).isEmpty();
        assertThatThrownBy(() -> f.regions().add(null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void barsDecodeAndDmaMastersOnlyAsTheCommandRegisterAllows() throws Exception {
        final PciFunction f = PciFunction.builder(config()).registers(0, 16, ZEROES).build();
        final ByteBuffer word = ByteBuffer.allocate(4);
        f.regions().get(0).read(0, word);
        assertThat(word.getInt(0)).as("memory space disabled: all ones").isEqualTo(-1);
        assertThatThrownBy(() -> f.dma().readInt(0x1000)).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        f.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                le16(PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_MASTER));
        f.regions().get(0).read(0, word.clear().putInt(0, -1));
        assertThat(word.getInt(0)).as("the handler answers").isEqualTo(-1);
        assertThat(f.config().busMasterEnabled()).isTrue();
        assertThatThrownBy(() -> f.dma().readInt(0x1000)).as("bus master on, nothing mapped")
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EFAULT));
    }

    @Test
    void standardIrqsAreTheFiveIndexesWithTheirFlags() {
        final PciFunction f = PciFunction.builder(config()).irqs(IrqType.REQ).build();
        assertThat(f.irqs().stream().map(Irq::info).toList()).containsExactly(
                new IrqInfo(IrqType.INTX, 1, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_MASKABLE | IrqInfo.FLAG_AUTOMASKED),
                new IrqInfo(IrqType.MSI, 1, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_NORESIZE),
                new IrqInfo(IrqType.MSIX, 0, IrqInfo.FLAG_EVENTFD),
                new IrqInfo(IrqType.ERR, 1, IrqInfo.FLAG_EVENTFD),
                new IrqInfo(IrqType.REQ, 1, IrqInfo.FLAG_EVENTFD));
        final IrqInfo plainIntx = new IrqInfo(IrqType.INTX, 1, IrqInfo.FLAG_EVENTFD);
        assertThat(PciFunction.builder(config()).irq(plainIntx).irqs(IrqType.MSI).build().irqs())
                .extracting(Irq::info).containsExactly(plainIntx, PciFunction.standardIrq(IrqType.MSI));
    }

    @Test
    void interruptUsesMsiOnceItHasATriggerElseIntx() throws Exception {
        final PciFunction f = PciFunction.builder(config()).irqs(IrqType.REQ).build();
        final Irq intx = f.irqs().get(IrqType.INTX.index());
        final Irq msi = f.irqs().get(IrqType.MSI.index());
        try (EventFd intxFd = EventFd.create(); EventFd msiFd = EventFd.create()) {
            intx.setTrigger(0, RegionIrqTest.eventFd(intxFd));
            f.interrupt();
            assertThat(intxFd.consume(Duration.ofSeconds(5))).isEqualTo(1);
            msi.setTrigger(0, RegionIrqTest.eventFd(msiFd));
            f.interrupt();
            assertThat(msiFd.consume(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(intx.delivered(0)).isEqualTo(1);
        }
        final PciFunction intxOnly = PciFunction.builder(config()).irqs(IrqType.INTX).build();
        intxOnly.interrupt();
        assertThat(intxOnly.irqs().get(0).pending(0)).as("no trigger yet: latched on INTx").isTrue();
        assertThatThrownBy(() -> PciFunction.builder(config()).build().interrupt())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void softResetRunsOnlyWhileTheGateIsOpen() throws Exception {
        final AtomicInteger resets = new AtomicInteger();
        final PciFunction f = PciFunction.builder(config()).onSoftReset(resets::incrementAndGet).build();
        final Region cfg = f.regions().get(RegionInfo.PCI_CONFIG);
        final int pmcsr = PciConfigSpace.PM_CAP + 4;
        cfg.write(pmcsr, le16(3));
        cfg.write(pmcsr, le16(0));
        assertThat(resets).hasValue(1);
        f.gate().set(Activity.STOPPED);
        cfg.write(pmcsr, le16(3));
        cfg.write(pmcsr, le16(0));
        assertThat(resets).as("migration froze the device").hasValue(1);
    }

    @Test
    void builderRefusesIndexesThatDoNotFit() {
        final PciFunction.Builder b = PciFunction.builder(config()).registers(0, 16, ZEROES);
        for (final int index : List.of(0, -1, 6, RegionInfo.PCI_CONFIG)) {
            assertThatThrownBy(() -> b.registers(index, 16, ZEROES)).as("BAR " + index)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> b.irq(PciFunction.standardIrq(IrqType.MSI)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the next index");
        b.irqs(IrqType.MSI);
        assertThatThrownBy(() -> b.irqs(IrqType.INTX)).isInstanceOf(IllegalArgumentException.class);
    }
}
