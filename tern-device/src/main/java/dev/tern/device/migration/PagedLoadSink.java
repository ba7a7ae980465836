package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.PageBitmap;
import dev.tern.sys.Errno;
import dev.tern.sys.SharedMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The RESUMING session of a {@link PagedDevice}: parses {@link PagedRecord}s as they arrive, copying page bytes
 * straight into staging memory, and checks everything before {@link #apply()} installs registers and memory. A
 * stream must describe every page at least once (round 1 or stop-copy sends all), carry the registers and end with
 * END; the device is untouched until then.
 */
final class PagedLoadSink implements LoadSink {

    private static final int PAGE = PagedMemory.PAGE;

    private final PagedMemory memory;
    private final PagedDevice device;
    private final SharedMemory staging;
    private final MemorySegment target;
    private final PageBitmap covered;
    private final ByteBuffer header = ByteBuffer.allocate(PagedRecord.HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] registers;
    private int payloadTag;
    private long payloadOffset;
    private long payloadRemaining;
    private boolean configSeen;
    private boolean registersSeen;
    private boolean endSeen;
    private long pageBytes;
    private long received;

    PagedLoadSink(final PagedMemory memory, final PagedDevice device, final SharedMemory staging) {
        this.memory = memory;
        this.device = device;
        this.staging = staging;
        this.target = staging.segment();
        this.covered = new PageBitmap(memory.pages(), PAGE);
        this.registers = new byte[device.registersSize()];
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
                if (payloadTag == PagedRecord.PAGES) {
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
        if (tag != PagedRecord.CONFIG && !configSeen) {
            throw invalid("stream does not start with a CONFIG record");
        }
        switch (tag) {
            case PagedRecord.CONFIG -> {
                if (configSeen || a != memory.size() || b != PAGE) {
                    throw invalid("CONFIG memory " + a + " / page " + b + " does not match this device ("
                            + memory.size() + " / " + PAGE + ")");
                }
                configSeen = true;
            }
            case PagedRecord.PAGES -> {
                if (b <= 0 || a < 0 || (a | b) % PAGE != 0 || a > memory.size() - b) {
                    throw invalid("PAGES record 0x" + Long.toHexString(a) + "+0x" + Long.toHexString(b)
                            + " is not a page run inside device memory");
                }
                covered.markPages(a / PAGE, b / PAGE);
                pageBytes += b;
                payload(tag, a, b);
            }
            case PagedRecord.REGS -> {
                if (a != registers.length || registersSeen) {
                    throw invalid("REGS record of " + a + " bytes (expected one of " + registers.length + ")");
                }
                registersSeen = true;
                payload(tag, 0, a);
            }
            case PagedRecord.END -> {
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

    /** Registers first (the device validates them, nothing changed if they are refused), then memory in O(1). */
    @Override
    public void apply() throws DeviceException {
        if (!endSeen) {
            throw invalid("truncated stream: " + received + " bytes and no END record");
        }
        final long pages = covered.count();
        if (pages != memory.pages()) {
            throw invalid("stream covers " + pages + " of " + memory.pages() + " pages");
        }
        device.loadRegisters(ByteBuffer.wrap(registers).order(ByteOrder.LITTLE_ENDIAN));
        memory.commit(staging);
    }

    private DeviceException invalid(final String what) {
        return new DeviceException(Errno.EINVAL, device.kind() + " state: " + what);
    }
}
