package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.DeviceGate.Activity;
import dev.tern.device.DmaRange;
import dev.tern.device.DmaSpace;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The device-side migration engine: owns the v2 migration state of one device, walks combination transitions one
 * arc at a time with {@link MigrationFsm#next} (as the kernel's drivers call {@code vfio_mig_get_next_state()}),
 * calls exactly one {@link MigrationHooks} method per arc, and owns the data sessions and their framing.
 *
 * <p>Rules it enforces (uAPI, spec §2.3–2.8): RUNNING after open and after reset; a failed hook leaves ERROR, which
 * only {@link #reset()} leaves; only the final arc opens a stream; the saving group shares one stream; leaving the
 * session makes its stream stale; the device's {@link DeviceGate} follows the state so STOP really means no DMA and
 * the *_P2P states no P2P DMA. Every state change goes through {@link #transition}, which stamps time from the
 * supplied clock and reports a {@link StateEvent}.
 *
 * <p>Requests, stream calls and queries are serialized by one lock; device worker threads never take it.
 */
public final class MigrationEngine implements MigrationTarget {

    private static final System.Logger LOG = System.getLogger(MigrationEngine.class.getName());

    private final MigrationHooks hooks;
    private final MigrationFlags flags;
    private final DeviceGate gate;
    private final DmaSpace dma;
    private final LongSupplier nanoClock;
    private final Runnable onClose;
    private final ReentrantLock lock = new ReentrantLock();

    private MigrationState state = MigrationState.RUNNING;
    private MigrationStream session;
    private volatile Consumer<StateEvent> listener;
    private Arc failArc;
    private int failErrno;

    /**
     * An engine in RUNNING that drives {@code hooks} through the v2 FSM.
     *
     * @param hooks the device's hooks
     * @param gate the device's gate (set RUNNING now)
     * @param dma the device's DMA space (dirty logging)
     * @param nanoClock time source for events, in nanoseconds
     * @param onClose run by {@link #close()} (release the device)
     */
    public MigrationEngine(final MigrationHooks hooks, final DeviceGate gate, final DmaSpace dma,
            final LongSupplier nanoClock, final Runnable onClose) {
        this.hooks = hooks;
        this.flags = hooks.migrationFlags();
        this.gate = gate;
        this.dma = dma;
        this.nanoClock = nanoClock;
        this.onClose = onClose;
        gate.set(Activity.RUNNING);
    }

    /**
     * {@return an engine for {@code device}, timed by {@link System#nanoTime()}, closing the device on close}
     *
     * @param device the device, in RUNNING, owned by the engine from now on
     */
    public static MigrationEngine of(final MigratableDevice device) {
        return of(device, System::nanoTime);
    }

    /**
     * {@return an engine for {@code device} timed by {@code nanoClock}}
     *
     * @param device the device, in RUNNING, owned by the engine from now on
     * @param nanoClock the time source of the state events, in nanoseconds
     */
    public static MigrationEngine of(final MigratableDevice device, final LongSupplier nanoClock) {
        return new MigrationEngine(device, device.gate(), device.dma(), nanoClock, device::close);
    }

    /**
     * Sets (or with {@code null} clears) the receiver of every state change; it runs under the engine lock.
     *
     * @param newListener the receiver, or {@code null}
     */
    public void setListener(final Consumer<StateEvent> newListener) {
        listener = newListener;
    }

    /**
     * Test and diagnostic API: the next time {@code arc} is performed, it fails as if its hook had thrown
     * {@code errno} before doing anything (the hook is not called). Used by the conformance kit.
     *
     * @param arc the arc to fail
     * @param errno the errno the failure reports
     */
    public void failNextArc(final Arc arc, final int errno) {
        lock.lock();
        try {
            failArc = arc;
            failErrno = errno;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String kind() {
        return hooks.kind();
    }

    @Override
    public int formatVersion() {
        return hooks.formatVersion();
    }

    @Override
    public TargetCapabilities capabilities() {
        return TargetCapabilities.all();
    }

    @Override
    public MigrationFlags flags() {
        return flags;
    }

    @Override
    public MigrationState state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StateChange setState(final MigrationState target) throws DeviceException {
        lock.lock();
        try {
            final String refusal = MigrationFsm.refusal(state, target, flags);
            if (refusal != null) {
                throw new MigrationException(Errno.EINVAL, refusal, state, null);
            }
            MigrationStream opened = null;
            while (state != target) {
                final MigrationState next = MigrationFsm.next(state, target, flags);
                opened = step(Arc.between(state, next));
            }
            return new StateChange(state, Optional.ofNullable(opened));
        } finally {
            lock.unlock();
        }
    }

    /** Performs one arc: gate, hook, session bookkeeping, transition; ERROR if anything fails. */
    private MigrationStream step(final Arc arc) throws MigrationException {
        final long start = nanoClock.getAsLong();
        final Activity after = Activity.of(arc.to());
        gate.set(Activity.max(Activity.of(arc.from()), after));
        final MigrationStream opened;
        try {
            if (failArc == arc) {
                failArc = null;
                throw new DeviceException(failErrno, "injected failure (diagnostic API)");
            }
            opened = perform(arc);
        } catch (final DeviceException | RuntimeException e) {
            endSession();
            gate.set(Activity.STOPPED);
            transition(MigrationState.ERROR, arc, StateEvent.Cause.ARC_FAILED, start);
            final int errno = e instanceof DeviceException d ? d.errno() : Errno.EIO;
            throw new MigrationException(errno, hooks.kind() + ": arc " + arc + " (" + arc.action()
                    + ") failed, device in ERROR until reset: " + e.getMessage(), MigrationState.ERROR, e);
        }
        gate.set(after);
        transition(arc.to(), arc, StateEvent.Cause.ARC, start);
        return opened;
    }

    /** Calls the one hook of {@code arc}; returns the stream the arc opens, if any. */
    private MigrationStream perform(final Arc arc) throws DeviceException {
        switch (arc) {
            case RUNNING_TO_STOP, RUNNING_P2P_TO_STOP -> hooks.stop(arc);
            case STOP_TO_RUNNING, STOP_TO_RUNNING_P2P -> hooks.run(arc);
            case RUNNING_TO_RUNNING_P2P, PRE_COPY_TO_PRE_COPY_P2P -> hooks.quiesceP2p(arc);
            case RUNNING_P2P_TO_RUNNING, PRE_COPY_P2P_TO_PRE_COPY -> hooks.unquiesceP2p(arc);
            case RUNNING_TO_PRE_COPY, RUNNING_P2P_TO_PRE_COPY_P2P -> {
                return openSaving(hooks.startPreCopy(arc), StreamHeader.FLAG_PRE_COPY);
            }
            case STOP_TO_STOP_COPY -> {
                return openSaving(hooks.startStopCopy(arc, Optional.empty()), 0);
            }
            case PRE_COPY_TO_STOP_COPY, PRE_COPY_P2P_TO_STOP_COPY -> {
                final SavingSession s = saving();
                s.source = hooks.startStopCopy(arc, Optional.of(s.source));
            }
            case PRE_COPY_TO_RUNNING, PRE_COPY_P2P_TO_RUNNING_P2P -> {
                hooks.endPreCopy(arc, saving().source);
                endSession();
            }
            case STOP_COPY_TO_STOP -> {
                hooks.endStopCopy(arc, saving().source);
                endSession();
            }
            case STOP_TO_RESUMING -> {
                final ResumingSession r = new ResumingSession(this, hooks, hooks.startResuming(arc));
                session = r;
                return r;
            }
            case RESUMING_TO_STOP -> {
                final ResumingSession r = (ResumingSession) session;
                r.checkComplete();
                hooks.endResuming(arc, r.sink);
                session = null;
            }
        }
        return null;
    }

    private MigrationStream openSaving(final SaveSource source, final int headerFlags) {
        final SavingSession s = new SavingSession(this,
                new StreamHeader(hooks.formatVersion(), headerFlags, hooks.kind()).encode(), source);
        session = s;
        return s;
    }

    private SavingSession saving() {
        return (SavingSession) session;
    }

    /** The one place the state changes: records it and reports the event. */
    private void transition(final MigrationState next, final Arc arc, final StateEvent.Cause cause,
            final long startNanos) {
        final MigrationState from = state;
        state = next;
        final Consumer<StateEvent> l = listener;
        if (l != null) {
            l.accept(new StateEvent(from, next, Optional.ofNullable(arc), cause, startNanos,
                    nanoClock.getAsLong()));
        }
        if (next == MigrationState.ERROR) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: {1} -> ERROR ({2})", hooks.kind(), from, cause);
        }
    }

    /** Ends the current session, if any: its stream becomes stale and the device drops what it held. */
    private void endSession() {
        final MigrationStream s = session;
        session = null;
        if (s instanceof SavingSession saving) {
            saving.source.close();
        } else if (s instanceof ResumingSession resuming) {
            resuming.sink.discard();
        }
    }

    boolean isLive(final MigrationStream stream) {
        lock.lock();
        try {
            return session == stream;
        } finally {
            lock.unlock();
        }
    }

    void checkLive(final MigrationStream stream) throws DeviceException {
        if (!isLive(stream)) {
            throw new DeviceException(Errno.ENODEV, "stale migration stream: its session ended (device now "
                    + state() + ")");
        }
    }

    /** The lock that serializes requests, stream calls and queries ({@link SavingSession} reads under it). */
    ReentrantLock lock() {
        return lock;
    }

    /** {@return under {@link #lock()}: whether the device is in STOP_COPY (a saving source then ends its stream)} */
    boolean inStopCopy() {
        return state == MigrationState.STOP_COPY;
    }

    void write(final ResumingSession s, final ByteBuffer src) throws DeviceException {
        lock.lock();
        try {
            checkLive(s);
            s.accept(src);
        } catch (final RuntimeException e) {
            throw new DeviceException(Errno.EIO, hooks.kind() + ": staging the state failed: " + e, e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public PrecopyInfo precopyInfo() throws DeviceException {
        lock.lock();
        try {
            if (state != MigrationState.PRE_COPY && state != MigrationState.PRE_COPY_P2P) {
                throw new DeviceException(Errno.EINVAL, "pre-copy info is only defined in PRE_COPY and PRE_COPY_P2P,"
                        + " not " + state);
            }
            final SavingSession s = saving();
            final PrecopyInfo p = s.source.precopyInfo();
            return new PrecopyInfo(p.initialBytes() + s.header.remaining(), p.dirtyBytes(), p.reinit());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long stopCopySize() {
        lock.lock();
        try {
            final long header = session instanceof SavingSession s ? s.header.remaining()
                    : new StreamHeader(hooks.formatVersion(), 0, hooks.kind()).length();
            return hooks.stopCopySize() + header;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void reset() throws DeviceException {
        lock.lock();
        try {
            final long start = nanoClock.getAsLong();
            endSession();
            failArc = null;
            gate.set(Activity.RUNNING);
            try {
                hooks.reset();
            } catch (final DeviceException | RuntimeException e) {
                gate.set(Activity.STOPPED);
                transition(MigrationState.ERROR, null, StateEvent.Cause.RESET, start);
                final int errno = e instanceof DeviceException d ? d.errno() : Errno.EIO;
                throw new MigrationException(errno, hooks.kind() + ": reset failed: " + e.getMessage(),
                        MigrationState.ERROR, e);
            }
            transition(MigrationState.RUNNING, null, StateEvent.Cause.RESET, start);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long startDirtyLogging(final long pageSize, final List<DmaRange> ranges) throws DeviceException {
        return dma.dirtyLog().start(pageSize, ranges);
    }

    @Override
    public void reportDirty(final long iova, final long length, final long pageSize, final long[] bitmapOut)
            throws DeviceException {
        dma.dirtyLog().report(iova, length, pageSize, bitmapOut);
    }

    @Override
    public void stopDirtyLogging() {
        dma.dirtyLog().stop();
    }

    @Override
    public long checksum() {
        lock.lock();
        try {
            return hooks.checksum();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            endSession();
            gate.set(Activity.STOPPED);
        } finally {
            lock.unlock();
        }
        onClose.run();
    }
}
