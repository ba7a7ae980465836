package dev.tern.samples;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaSpace;
import dev.tern.device.migration.PagedMemory;
import dev.tern.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The dma-engine's worker thread: processes descriptors from the ring in guest memory, mutates on-device memory at
 * the configured rate, and writes a status block to guest memory, all through the {@link DmaSpace}.
 *
 * <p>Descriptor (32 bytes, little-endian): {@code u32 op, u32 status, u64 src, u64 dst, u64 len}; ops
 * {@link #OP_COPY} (guest→guest), {@link #OP_DEV_TO_GUEST}, {@link #OP_GUEST_TO_DEV}; the device writes status 1
 * on success or {@code 0x80000000 | errno}. A descriptor the device may not execute now (P2P quiesced, or DMA
 * refused by the migration state) stays at the head of the ring and runs later, so no work is lost. With Bus Master
 * Enable clear the descriptor cannot even be fetched: it is retired as failed (ERRORS + 1) and the PCI status
 * register shows Received Master Abort, as a device whose bus transaction was aborted.
 *
 * <p>Each step runs under {@link #step}; quiescing P2P takes that lock once, which waits for in-flight DMA.
 */
final class DmaEngineWorkload implements Runnable {

    static final int OP_COPY = 1;
    static final int OP_DEV_TO_GUEST = 2;
    static final int OP_GUEST_TO_DEV = 3;
    static final int DESCRIPTOR = 32;
    static final int STATUS_OK = 1;
    static final int STATUS_ERROR = 0x8000_0000;
    private static final System.Logger LOG = System.getLogger(DmaEngineWorkload.class.getName());
    private static final long TICK_NANOS = 1_000_000;
    private static final int BATCH = 64;
    /**
     * Pages mutated per step at most (1 MiB), whatever RATE says: a guest (or a fuzzer) writing RATE = 2^63 - 1 must
     * get a busy device, not a worker that never looks at {@code stopRequested} again (a reset would wait forever).
     */
    private static final long MAX_PAGES_PER_STEP = 256;
    private static final long MAX_LEN = 1L << 30;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DmaEngine device;
    private final ReentrantLock step = new ReentrantLock();
    private final MemorySegment bounce = MemorySegment.ofArray(new byte[64 * 1024]);
    private final MemorySegment desc = MemorySegment.ofArray(new long[DESCRIPTOR / 8]);
    private final MemorySegment status = MemorySegment.ofArray(new long[8]);
    private volatile boolean stopRequested;
    private volatile boolean p2pQuiesced;
    private Thread thread;

    DmaEngineWorkload(final DmaEngine device) {
        this.device = device;
    }

    /** Starts the worker (no-op if running). */
    synchronized void start(final boolean quiesceP2p) {
        p2pQuiesced = quiesceP2p;
        if (thread != null) {
            return;
        }
        stopRequested = false;
        thread = Thread.ofPlatform().daemon().name("dma-engine-workload").start(this);
    }

    /** Stops the worker and waits until it has finished its current step (uAPI STOP: no DMA after return). */
    synchronized void stop() {
        final Thread t = thread;
        if (t == null) {
            return;
        }
        stopRequested = true;
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
        thread = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return true while the worker thread exists */
    synchronized boolean running() {
        return thread != null;
    }

    /** Stops initiating P2P DMA and waits for the step in flight (uAPI RUNNING_P2P). */
    void quiesceP2p() {
        p2pQuiesced = true;
        step.lock();
        step.unlock();
    }

    void unquiesceP2p() {
        p2pQuiesced = false;
        kick();
    }

    /** Wakes the worker (doorbell). */
    void kick() {
        final Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void run() {
        long last = System.nanoTime();
        double budget = 0;
        while (!stopRequested) {
            boolean more;
            step.lock();
            try {
                more = processRing();
                final long now = System.nanoTime();
                final long rate = device.rate();
                budget = Math.min(budget + rate * ((now - last) / 1e9), Math.max(rate / 10.0, PagedMemory.PAGE));
                last = now;
                final long pages = Math.min((long) (budget / PagedMemory.PAGE), MAX_PAGES_PER_STEP);
                if (pages > 0) {
                    budget -= pages * (double) PagedMemory.PAGE;
                    device.mutate(pages);
                }
                writeStatus();
            } finally {
                step.unlock();
            }
            if (!more) {
                LockSupport.parkNanos(TICK_NANOS);
            }
        }
    }

    /** @return true if more descriptors are ready */
    private boolean processRing() {
        for (int i = 0; i < BATCH; i++) {
            final long[] ring = device.ringSnapshot();
            if (ring == null) {
                return false;
            }
            final long at = ring[0] + (ring[2] & (ring[1] - 1)) * DESCRIPTOR;
            final DmaSpace dma = device.dma();
            try {
                dma.read(at, desc);
            } catch (final DeviceException e) {
                if (e.errno() == Errno.EPERM) {
                    return false;
                }
                failed("fetching the descriptor at 0x" + Long.toHexString(at), e);
                device.complete(false);
                continue;
            }
            final int op = desc.get(INT, 0);
            final long src = desc.get(LONG, 8);
            final long dst = desc.get(LONG, 16);
            final long len = desc.get(LONG, 24);
            if (p2pQuiesced && (dma.isPeerToPeer(src, len) || dma.isPeerToPeer(dst, len))) {
                return false;
            }
            int result;
            try {
                execute(op, src, dst, len);
                result = STATUS_OK;
            } catch (final DeviceException e) {
                if (e.errno() == Errno.EPERM) {
                    return false;
                }
                failed("descriptor at 0x" + Long.toHexString(at) + " (op " + op + ")", e);
                result = STATUS_ERROR | e.errno();
            }
            try {
                dma.writeInt(at + 4, result);
            } catch (final DeviceException e) {
                if (e.errno() == Errno.EPERM) {
                    return false;
                }
                failed("writing the status of the descriptor at 0x" + Long.toHexString(at), e);
                result = STATUS_ERROR | e.errno();
            }
            device.complete(result == STATUS_OK);
        }
        return device.ringSnapshot() != null;
    }

    /** One line per failed DMA, at INFO: the guest's driver sees the error; the operator should too. */
    private static void failed(final String what, final DeviceException e) {
        LOG.log(System.Logger.Level.INFO, "dma-engine: DMA failed: {0}: {1} ({2})", what,
                Errno.name(e.errno()), e.getMessage());
    }

    private void execute(final int op, final long src, final long dst, final long len) throws DeviceException {
        if (len < 0 || len > MAX_LEN) {
            throw new DeviceException(Errno.EINVAL, "descriptor length " + len);
        }
        final DmaSpace dma = device.dma();
        switch (op) {
            case OP_COPY -> {
                for (long done = 0; done < len; ) {
                    final long n = Math.min(bounce.byteSize(), len - done);
                    dma.read(src + done, bounce.asSlice(0, n));
                    dma.write(dst + done, bounce.asSlice(0, n));
                    done += n;
                }
            }
            case OP_DEV_TO_GUEST -> dma.write(dst, device.memory().slice(src, len));
            case OP_GUEST_TO_DEV -> {
                dma.read(src, device.memory().slice(dst, len));
                device.memory().markDirty(dst, len);
            }
            default -> throw new DeviceException(Errno.EINVAL, "unknown descriptor op " + op);
        }
    }

    private void writeStatus() {
        final long[] s = device.statusSnapshot();
        if (s == null) {
            return;
        }
        for (int i = 0; i < 6; i++) {
            status.set(LONG, 8L * i, s[i + 1]);
        }
        try {
            device.dma().write(s[0], status);
        } catch (final DeviceException e) {
            // not counted while stopped (retried) or while the guest cleared Bus Master Enable (the master abort
            // is in the PCI status register already)
            if (e.errno() != Errno.EPERM && e.errno() != Errno.ENODEV) {
                device.statusFailed();
            }
        }
    }
}
