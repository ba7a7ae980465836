package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.LoadSink;
import dev.tern.sys.Errno;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The dma-engine's RESUMING session: parses {@link DmaEngineRecord}s as they arrive, copying page bytes straight
 * into staging memory, and checks everything before {@link #apply()} swaps the staged image in. A stream must
 * describe every page at least once (round 1 or stop-copy sends all), carry the registers and end with END; the
 * device is untouched until then.
 */
final class DmaEngineLoadSink implements LoadSink {

    private static final int PAGE = PageTracker.PAGE;

    private final DmaEngine device;
    private final SharedMemory staging;
    private final MemorySegment target;
    private final long[] covered;
    private final ByteBuffer header = ByteBuffer.allocate(DmaEngineRecord.HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] registers = new byte[DmaEngine.REGS_SIZE];
    private int payloadTag;
    private long payloadOffset;
    private long payloadRemaining;
    private boolean configSeen;
    private boolean registersSeen;
    private boolean endSeen;
    private long coveredPages;
    private long pageBytes;
    private long received;

    DmaEngineLoadSink(final DmaEngine device, final SharedMemory staging) {
        this.device = device;
        this.staging = staging;
        this.target = staging.segment();
        this.covered = new long[(int) ((device.memoryBytes() / PAGE + 63) >>> 6)];
    }

    @Override
    public void write(final ByteBuffer src) throws DeviceException {
        received += src.remaining();
        while (src.hasRemaining()) {
            if (endSeen) {
                throw invalid("data after the END record");
            }
            if (payloadRemaining > 0) {
                final int k = (int) Math.min(src.remaining(), payloadRemaining);
                if (payloadTag == DmaEngineRecord.PAGES) {
                    MemorySegment.copy(MemorySegment.ofBuffer(src), 0, target, payloadOffset, k);
                } else {
                    src.duplicate().limit(src.position() + k).get(registers, (int) payloadOffset, k);
                }
                src.position(src.position() + k);
                payloadOffset += k;
                payloadRemaining -= k;
                continue;
            }
            final int k = Math.min(src.remaining(), header.remaining());
            header.put(header.position(), src, src.position(), k);
            header.position(header.position() + k);
            src.position(src.position() + k);
            if (!header.hasRemaining()) {
                record(header.getInt(0), header.getInt(4), header.getLong(8), header.getLong(16));
                header.clear();
            }
        }
    }

    private void record(final int tag, final int reserved, final long a, final long b) throws DeviceException {
        if (reserved != 0) {
            throw invalid("record reserved field is " + reserved);
        }
        if (tag != DmaEngineRecord.CONFIG && !configSeen) {
            throw invalid("stream does not start with a CONFIG record");
        }
        switch (tag) {
            case DmaEngineRecord.CONFIG -> {
                if (configSeen || a != device.memoryBytes() || b != PAGE) {
                    throw invalid("CONFIG memory " + a + " / page " + b + " does not match this device ("
                            + device.memoryBytes() + " / " + PAGE + ")");
                }
                configSeen = true;
            }
            case DmaEngineRecord.PAGES -> {
                if (b <= 0 || a < 0 || (a | b) % PAGE != 0 || a > device.memoryBytes() - b) {
                    throw invalid("PAGES record 0x" + Long.toHexString(a) + "+0x" + Long.toHexString(b)
                            + " is not a page run inside device memory");
                }
                markCovered(a / PAGE, b / PAGE);
                pageBytes += b;
                payload(tag, a, b);
            }
            case DmaEngineRecord.REGS -> {
                if (a != DmaEngine.REGS_SIZE || registersSeen) {
                    throw invalid("REGS record of " + a + " bytes (expected one of " + DmaEngine.REGS_SIZE + ")");
                }
                registersSeen = true;
                payload(tag, 0, a);
            }
            case DmaEngineRecord.END -> {
                if (!registersSeen || a != pageBytes) {
                    throw invalid("END after " + pageBytes + " page bytes claims " + a
                            + (registersSeen ? "" : ", and no REGS record came"));
                }
                endSeen = true;
            }
            default -> throw invalid("unknown record tag " + tag);
        }
    }

    private void payload(final int tag, final long offset, final long length) {
        payloadTag = tag;
        payloadOffset = offset;
        payloadRemaining = length;
    }

    private void markCovered(final long first, final long pages) {
        for (long p = first; p < first + pages; p++) {
            final int w = (int) (p >>> 6);
            if ((covered[w] & (1L << p)) == 0) {
                covered[w] |= 1L << p;
                coveredPages++;
            }
        }
    }

    @Override
    public void apply() throws DeviceException {
        if (!endSeen) {
            throw invalid("truncated stream: " + received + " bytes and no END record");
        }
        if (coveredPages != device.memoryBytes() / PAGE) {
            throw invalid("stream covers " + coveredPages + " of " + device.memoryBytes() / PAGE + " pages");
        }
        final ByteBuffer image = ByteBuffer.wrap(registers).order(ByteOrder.LITTLE_ENDIAN);
        DmaEngine.validateRegisters(image);
        device.install(staging, image);
    }

    private static DeviceException invalid(final String what) {
        return new DeviceException(Errno.EINVAL, "dma-engine state: " + what);
    }
}
