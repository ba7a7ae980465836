package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DeviceGate.Activity;
import dev.tern.sys.Errno;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DmaSpaceTest {

    private final DeviceGate gate = new DeviceGate();
    private final DmaSpace dma = new DmaSpace(gate);
    private final SharedMemory low;
    private final SharedMemory high;

    DmaSpaceTest() throws Exception {
        low = SharedMemory.create("dma-test-low", 0x10000);
        high = SharedMemory.create("dma-test-high", 0x10000);
        dma.mapMemory(0x100000, low.segment(), true, false);
        dma.mapMemory(0x110000, high.segment(), true, false);
    }

    @AfterEach
    void close() {
        low.close();
        high.close();
    }

    private static int errno(final ThrowingAction a) {
        try {
            a.run();
        } catch (final DeviceException e) {
            return e.errno();
        }
        throw new AssertionError("no DeviceException");
    }

    @FunctionalInterface
    private interface ThrowingAction {
        void run() throws DeviceException;
    }

    @Test
    void readsAndWritesReachTheMappedSharedMemoryAcrossAdjacentMappings() throws Exception {
        dma.writeLong(0x100008, 0x1122334455667788L);
        assertThat(low.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8))
                .isEqualTo(0x1122334455667788L);
        assertThat(dma.readLong(0x100008)).isEqualTo(0x1122334455667788L);
        final byte[] data = new byte[64];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        dma.write(0x10FFE0, ByteBuffer.wrap(data));
        final ByteBuffer back = ByteBuffer.allocate(64);
        dma.read(0x10FFE0, back);
        assertThat(back.array()).isEqualTo(data);
        assertThat(high.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 32);
    }

    @Test
    void accessesOutsideTheMappingsAreEfaultAndMoveNoBytes() throws Exception {
        assertThat(errno(() -> dma.readLong(0xFFFFC))).isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> dma.write(0x11FFF0, MemorySegment.ofArray(new byte[32])))).isEqualTo(Errno.EFAULT);
        assertThat(high.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0xFFF0)).isZero();
        assertThat(errno(() -> dma.readInt(0x200000))).isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> dma.readInt(Long.MAX_VALUE - 1))).isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> dma.readInt(-8))).isEqualTo(Errno.EFAULT);
    }

    @Test
    void readOnlyMappingsRefuseWritesAndReleasedMemoryIsEfault() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            dma.map(new DmaMapping(new DmaRange(0x200000, 0x1000),
                    new DmaMapping.Memory(arena.allocate(0x1000)), false, false));
            assertThat(errno(() -> dma.writeInt(0x200000, 1))).isEqualTo(Errno.EACCES);
            assertThat(dma.readInt(0x200000)).isZero();
        }
        assertThat(errno(() -> dma.readInt(0x200000))).isEqualTo(Errno.EFAULT);
    }

    @Test
    void mappingsMustNotOverlapAndUnmapMustNotCutOne() throws Exception {
        assertThat(errno(() -> dma.mapMemory(0x10F000, MemorySegment.ofArray(new byte[0x2000]), true, false)))
                .isEqualTo(Errno.EEXIST);
        assertThat(errno(() -> dma.unmap(0x100000, 0x8000))).isEqualTo(Errno.EINVAL);
        assertThat(dma.unmap(0x100000, 0x10000)).hasSize(1);
        assertThat(errno(() -> dma.readInt(0x100000))).isEqualTo(Errno.EFAULT);
        assertThat(dma.mappings()).hasSize(1);
    }

    @Test
    void stoppedDeviceGetsEpermAndP2pRangesAreRefusedWhileQuiesced() throws Exception {
        final MemorySegment peer = MemorySegment.ofArray(new byte[0x1000]);
        dma.mapMemory(0x300000, peer, true, true);
        gate.set(Activity.STOPPED);
        assertThat(errno(() -> dma.writeInt(0x100000, 1))).isEqualTo(Errno.EPERM);
        assertThat(errno(() -> dma.readInt(0x100000))).isEqualTo(Errno.EPERM);
        gate.set(Activity.P2P_QUIESCED);
        dma.writeInt(0x100000, 7);
        assertThat(errno(() -> dma.writeInt(0x300000, 1))).isEqualTo(Errno.EPERM);
        assertThat(dma.isPeerToPeer(0x300000, 4)).isTrue();
        assertThat(dma.isPeerToPeer(0x100000, 4)).isFalse();
        gate.set(Activity.RUNNING);
        dma.writeInt(0x300000, 9);
        assertThat(dma.readInt(0x300000)).isEqualTo(9);
    }

    @Test
    void messageBackedMappingsGoThroughTheTransportChannel() throws Exception {
        final List<String> log = new ArrayList<>();
        final DmaChannel channel = new DmaChannel() {
            @Override
            public void read(final long iova, final MemorySegment dst) {
                log.add("read " + Long.toHexString(iova) + " " + dst.byteSize());
                dst.fill((byte) 0x42);
            }

            @Override
            public void write(final long iova, final MemorySegment src) {
                log.add("write " + Long.toHexString(iova) + " " + src.byteSize());
            }
        };
        dma.map(new DmaMapping(new DmaRange(0x400000, 0x1000), new DmaMapping.Messages(channel), true, false));
        assertThat(dma.readInt(0x400010)).isEqualTo(0x42424242);
        dma.writeLong(0x400020, 1);
        assertThat(log).containsExactly("read 400010 4", "write 400020 8");
    }

    @Test
    void writesAreDirtyLoggedAutomatically() throws Exception {
        dma.dirtyLog().start(4096, List.of(new DmaRange(0x100000, 0x20000)));
        dma.writeInt(0x100000, 1);
        dma.write(0x10FFFF, MemorySegment.ofArray(new byte[2]));
        dma.readInt(0x105000);
        final long[] bitmap = new long[1];
        dma.dirtyLog().report(0x100000, 0x20000, 4096, bitmap);
        assertThat(bitmap[0]).isEqualTo(1L | 1L << 15 | 1L << 16);
    }
}
