package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;

/**
 * The dma-engine's register file (BAR0, 4 KiB, 64-bit registers, 4- or 8-byte aligned accesses):
 *
 * <pre>
 *   0x00 ID          RO  0x7E27_0002
 *   0x08 CTRL        RW  bit 0 RING_ENABLE, bit 1 IRQ_ENABLE, bit 2 STATUS_ENABLE
 *   0x10 RING_BASE   RW  IOVA of the descriptor ring (32-byte descriptors)
 *   0x18 RING_SIZE   RW  entries, a power of two up to 65536 (0 = no ring)
 *   0x20 RING_HEAD   RO  next descriptor the device processes
 *   0x28 RING_TAIL   RW  doorbell: the driver's producer index
 *   0x30 COMPLETED   RO  descriptors completed
 *   0x38 ERRORS      RO  descriptors failed
 *   0x40 MEM_SIZE    RO  on-device memory in bytes
 *   0x48 RATE        RW  background mutation rate, bytes/s
 *   0x50 STATUS_ADDR RW  IOVA of the 64-byte status block the workload writes each tick
 *   0x58 MUTATED     RO  bytes mutated so far
 *   0x60 SEED        RW  state of the workload's xorshift generator
 * </pre>
 *
 * All of it migrates: {@link #SIZE} bytes, the registers in offset order from CTRL. Guarded by the device.
 */
final class DmaEngineRegisters {

    static final long ID_VALUE = 0x7E27_0002L;
    static final int ID = 0x00;
    static final int CTRL = 0x08;
    static final int RING_BASE = 0x10;
    static final int RING_SIZE = 0x18;
    static final int RING_HEAD = 0x20;
    static final int RING_TAIL = 0x28;
    static final int COMPLETED = 0x30;
    static final int ERRORS = 0x38;
    static final int MEM_SIZE = 0x40;
    static final int RATE = 0x48;
    static final int STATUS_ADDR = 0x50;
    static final int MUTATED = 0x58;
    static final int SEED = 0x60;
    static final int BAR_SIZE = 4096;

    static final long CTRL_RING = 1;
    static final long CTRL_IRQ = 2;
    static final long CTRL_STATUS = 4;
    static final int MAX_RING = 65536;

    /** Migrated registers: CTRL .. SEED except the read-only ID and MEM_SIZE, 11 × 8 bytes. */
    static final int SIZE = 11 * 8;

    long ctrl;
    long ringBase;
    long ringSize;
    long head;
    long tail;
    long completed;
    long errors;
    long rate;
    long statusAddr;
    long mutated;
    long seed;
    private final long memSize;

    DmaEngineRegisters(final long memSize, final long rate, final long seed) {
        this.memSize = memSize;
        reset(rate, seed);
    }

    void reset(final long defaultRate, final long initialSeed) {
        ctrl = 0;
        ringBase = 0;
        ringSize = 0;
        head = 0;
        tail = 0;
        completed = 0;
        errors = 0;
        rate = defaultRate;
        statusAddr = 0;
        mutated = 0;
        seed = initialSeed == 0 ? 1 : initialSeed;
    }

    long read(final int offset) throws DeviceException {
        return switch (offset) {
            case ID -> ID_VALUE;
            case CTRL -> ctrl;
            case RING_BASE -> ringBase;
            case RING_SIZE -> ringSize;
            case RING_HEAD -> head;
            case RING_TAIL -> tail;
            case COMPLETED -> completed;
            case ERRORS -> errors;
            case MEM_SIZE -> memSize;
            case RATE -> rate;
            case STATUS_ADDR -> statusAddr;
            case MUTATED -> mutated;
            case SEED -> seed;
            default -> 0;
        };
    }

    void write(final int offset, final long value) throws DeviceException {
        switch (offset) {
            case CTRL -> ctrl = value & (CTRL_RING | CTRL_IRQ | CTRL_STATUS);
            case RING_BASE -> ringBase = value;
            case RING_SIZE -> {
                if (value < 0 || value > MAX_RING || (value != 0 && Long.bitCount(value) != 1)) {
                    throw new DeviceException(Errno.EINVAL, "ring size " + value + " is not a power of two <= "
                            + MAX_RING);
                }
                ringSize = value;
                head = 0;
                tail = 0;
            }
            case RING_TAIL -> tail = value;
            case RATE -> {
                if (value < 0) {
                    throw new DeviceException(Errno.EINVAL, "negative mutation rate");
                }
                rate = value;
            }
            case STATUS_ADDR -> statusAddr = value;
            case SEED -> seed = value == 0 ? 1 : value;
            default -> {
                // read-only or unused offsets ignore writes
            }
        }
    }

    void save(final ByteBuffer out) {
        out.putLong(ctrl).putLong(ringBase).putLong(ringSize).putLong(head).putLong(tail).putLong(completed)
                .putLong(errors).putLong(rate).putLong(statusAddr).putLong(mutated).putLong(seed);
    }

    /**
     * Validates a saved image without changing anything.
     *
     * @throws DeviceException EINVAL naming the bad register
     */
    static void validate(final ByteBuffer in) throws DeviceException {
        final int p = in.position();
        final long ring = in.getLong(p + 16);
        if ((in.getLong(p) & ~(CTRL_RING | CTRL_IRQ | CTRL_STATUS)) != 0) {
            throw new DeviceException(Errno.EINVAL, "dma-engine state: unknown CTRL bits");
        }
        if (ring < 0 || ring > MAX_RING || (ring != 0 && Long.bitCount(ring) != 1)) {
            throw new DeviceException(Errno.EINVAL, "dma-engine state: bad ring size " + ring);
        }
        if (in.getLong(p + 56) < 0 || in.getLong(p + 80) == 0) {
            throw new DeviceException(Errno.EINVAL, "dma-engine state: bad rate or seed");
        }
    }

    void load(final ByteBuffer in) {
        ctrl = in.getLong();
        ringBase = in.getLong();
        ringSize = in.getLong();
        head = in.getLong();
        tail = in.getLong();
        completed = in.getLong();
        errors = in.getLong();
        rate = in.getLong();
        statusAddr = in.getLong();
        mutated = in.getLong();
        seed = in.getLong();
    }
}
