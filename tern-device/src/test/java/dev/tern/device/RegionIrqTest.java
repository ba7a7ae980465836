package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceGate.Activity;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.sys.PosixException;
import dev.tern.sys.SharedMemory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegionIrqTest {

    private final DeviceGate gate = new DeviceGate();

    static IrqTrigger eventFd(final EventFd efd) {
        return () -> {
            try {
                efd.signal();
            } catch (final PosixException e) {
                throw new DeviceException(e.errno(), e.getMessage(), e);
            }
        };
    }

    @Test
    void regionChecksBoundsFlagsAndFreezesRegistersWhileStopped() throws Exception {
        final byte[] reg = new byte[16];
        final RegionHandler h = new RegionHandler() {
            @Override
            public void read(final long offset, final ByteBuffer dst) {
                dst.put(reg, (int) offset, dst.remaining());
            }

            @Override
            public void write(final long offset, final ByteBuffer src) {
                src.get(reg, (int) offset, src.remaining());
            }
        };
        final Region r = Region.registers(0, 16, h, gate);
        r.write(12, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
        assertThatThrownBy(() -> r.write(14, ByteBuffer.allocate(4))).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> r.read(-1, ByteBuffer.allocate(1))).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        gate.set(Activity.STOPPED);
        assertThatThrownBy(() -> r.read(12, ByteBuffer.allocate(4))).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        final PciConfigSpace cfg = new PciConfigSpace(0x7E27, 0x99, 0x070002, 1).bar(0, 8, true);
        final Region config = Region.config(cfg, gate);
        config.write(PciConfigSpace.BAR0, ByteBuffer.wrap(new byte[] {-1, -1, -1, -1}));
        final ByteBuffer bar = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        config.read(PciConfigSpace.BAR0, bar);
        assertThat(bar.getInt(0)).as("BAR sizing works while stopped").isEqualTo(0xFFFFFFF9);
        assertThat(Region.absent(3, gate).info().size()).isZero();
        assertThatThrownBy(() -> Region.absent(3, gate).read(0, ByteBuffer.allocate(1)))
                .isInstanceOf(DeviceException.class);
    }

    @Test
    void sharedMemoryRegionIsMmappableAndBackedByTheMemfd() throws Exception {
        try (SharedMemory mem = SharedMemory.create("region-test", 4096)) {
            final Region r = Region.memory(2, mem, true, gate);
            assertThat(r.info().mmappable()).isTrue();
            assertThat(r.backing()).contains(mem);
            r.write(8, ByteBuffer.wrap(new byte[] {9}));
            assertThat(mem.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 8)).isEqualTo((byte) 9);
        }
        assertThatThrownBy(() -> new Region(new RegionInfo(1, 4096, RegionInfo.FLAG_MMAP), null, Optional.empty(),
                gate, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void interruptsReachTheEventfdAndAreLatchedWhileStoppedOrMasked() throws Exception {
        try (EventFd efd = EventFd.create()) {
            final Irq irq = new Irq(new IrqInfo(IrqType.MSI, 1, IrqInfo.FLAG_EVENTFD), gate);
            irq.setTrigger(0, eventFd(efd));
            irq.trigger(0);
            assertThat(efd.consume(Duration.ofSeconds(1))).isEqualTo(1);
            gate.set(Activity.STOPPED);
            irq.trigger(0);
            assertThat(irq.pending(0)).isTrue();
            assertThat(efd.await(Duration.ofMillis(20))).as("no interrupt in STOP").isFalse();
            gate.set(Activity.RUNNING);
            assertThat(efd.consume(Duration.ofSeconds(1))).isEqualTo(1);
            irq.setMasked(0, true);
            irq.trigger(0);
            assertThat(efd.await(Duration.ofMillis(20))).isFalse();
            irq.setMasked(0, false);
            assertThat(efd.consume(Duration.ofSeconds(1))).isEqualTo(1);
            assertThat(irq.delivered(0)).isEqualTo(3);
            assertThatThrownBy(() -> irq.trigger(1)).isInstanceOfSatisfying(DeviceException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }
}
