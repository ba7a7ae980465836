package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.TargetCapabilities;
import dev.tern.migration.channel.Session;
import dev.tern.migration.report.TextReport;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The source's data movement: pre-copy rounds with the convergence rule, and the final drain of each device's
 * stream. Convergence follows QEMU: switch once the estimated remaining bytes fit in measured bandwidth × downtime
 * limit, but never before every pre-copy device's initial data is loaded on the destination (switchover-ack), or
 * after the round limit.
 *
 * <p>A device's pending bytes come from PRECOPY_INFO and MIG_DATA_SIZE only when its target offers them
 * ({@link dev.tern.device.migration.TargetCapabilities}); otherwise (plain vfio-user) from its stream alone, as
 * {@link ObservedPrecopy} describes.
 */
final class SourceRounds {

    /**
     * Longest a round reads one device without PRECOPY_INFO, so a device producing data faster than the link can
     * not hold a round (and the guest memory's rounds) open; its rest goes in later rounds or the stop-copy.
     */
    static final long ROUND_CAP_NANOS = 1_000_000_000L;

    private final List<MigratingDevice> devices;
    private final MigrationOptions options;
    private final Timeline timeline;
    private final ByteBuffer[] buffers;
    private final long[] precopyBytes;
    private final long[] stopCopyBytes;
    private final SwitchoverAcks acks;
    private final ObservedPrecopy[] observed;
    private final List<MigrationReport.RoundStats> stats = new ArrayList<>();
    private final SwitchoverPolicy policy;
    private long memoryBytes;
    private long arcNanos;
    private long estimateNanos = -1;
    /** When the last two rounds collected guest memory's dirty pages (timeline nanos; -1: not yet twice). */
    private long lastCollect = -1;
    private long previousCollect = -1;
    private Consumer<String> progress = s -> { };
    private Consumer<MigrationEvent> events = e -> { };

    SourceRounds(final List<MigratingDevice> devices, final MigrationOptions options, final Timeline timeline) {
        this.devices = devices;
        this.options = options;
        this.timeline = timeline;
        this.policy = SwitchoverPolicy.of(options);
        this.buffers = new ByteBuffer[devices.size()];
        this.precopyBytes = new long[devices.size()];
        this.stopCopyBytes = new long[devices.size()];
        this.acks = new SwitchoverAcks(devices.size());
        this.observed = new ObservedPrecopy[devices.size()];
        for (int i = 0; i < observed.length; i++) {
            observed[i] = new ObservedPrecopy();
        }
    }

    void onProgress(final Consumer<String> listener) {
        this.progress = listener;
    }

    void onEvent(final Consumer<MigrationEvent> listener) {
        this.events = listener;
    }

    /** Control records handled on arrival: the destination's switchover-acks. */
    void onControl(final ControlInbox.Message m) {
        final int acked = acks.onControl(m);
        if (acked >= 0) {
            events.accept(new MigrationEvent.SwitchoverAck(devices.get(acked).descriptor().name(), acks.acks(acked)));
        }
    }

    /**
     * PRECOPY_INFO of device {@code i}, every query of the migration's passing here: a REINIT (reported once) re-arms
     * the device's switchover-ack, so the switchover waits until the new initial data is loaded at the destination.
     */
    private PrecopyInfo precopyInfo(final int i) throws DeviceException {
        final PrecopyInfo info = devices.get(i).target().precopyInfo();
        if (info.reinit()) {
            acks.reinit(i);
            final String name = devices.get(i).descriptor().name();
            events.accept(new MigrationEvent.Reinit(name, info.initialBytes()));
            progress.accept("device " + name + ": new initial data (REINIT, " + TextReport.mib(info.initialBytes())
                    + "); the switchover waits for its new switchover-ack");
        }
        return info;
    }

    /**
     * Runs pre-copy rounds until {@link SwitchoverPolicy} says switch; devices with PRE_COPY enter it first.
     *
     * @throws DowntimeBudgetException if the policy says abort (the hard budget cannot be met)
     */
    void precopy(final Session session, final MigrationStream[] streams, final MemorySender memory)
            throws Exception {
        enterPrecopy(streams);
        final long start = timeline.now();
        long sent = 0;
        for (int round = 1;; round++) {
            final long t = timeline.now();
            final List<Long> moved = Parallel.run(roundTasks(session, streams, memory, round));
            final long memBytes = moved.get(moved.size() - 1);
            final long devBytes = moved.stream().mapToLong(Long::longValue).sum() - memBytes;
            memoryBytes += memBytes;
            sent += memBytes + devBytes;
            final SwitchoverPolicy.Round measured = new SwitchoverPolicy.Round(round,
                    sent * 1e9 / Math.max(1, timeline.now() - start), remaining(memory), fixedNanos(), !acks.all(),
                    !allDrained(), stats.isEmpty() ? -1 : stats.getLast().remainingBytes());
            estimateNanos = SwitchoverPolicy.estimateNanos(measured);
            timeline.record(Phase.PRE_COPY, "all", round, t, memBytes + devBytes);
            stats.add(new MigrationReport.RoundStats(round, devBytes, memBytes, (timeline.now() - t) / 1e6,
                    memory.lastDirtyPages(), measured.remainingBytes()));
            events.accept(new MigrationEvent.Round(stats.getLast(), estimateNanos / 1e6));
            progress.accept(String.format("round %d: %s device + %s memory, %d dirty pages, %s remaining, "
                    + "%.0f MB/s, downtime estimate %.1f ms", round, TextReport.mib(devBytes),
                    TextReport.mib(memBytes), memory.lastDirtyPages(), TextReport.mib(measured.remainingBytes()),
                    measured.bandwidth() / 1e6, estimateNanos / 1e6));
            if (acks.peerFailed()) {
                throw new IOException("the destination's control connection failed during pre-copy");
            }
            if (decide(measured)) {
                return;
            }
        }
    }

    /** Applies the policy's decision: true to switch over now, false for another round; throws to abort. */
    private boolean decide(final SwitchoverPolicy.Round measured) throws IOException, InterruptedException {
        switch (policy.decide(measured)) {
            case CONTINUE -> {
                return false;
            }
            case AWAIT_ACKS_THEN_SWITCH -> awaitAcks();
            case ABORT -> throw new DowntimeBudgetException(estimateNanos, policy.maxDowntimeNanos(),
                    measured.round());
            case SWITCH -> { }
        }
        if (policy.overBudget(estimateNanos)) {
            progress.accept(String.format("downtime estimate %.1f ms exceeds --max-downtime %d ms after %d rounds;"
                    + " switching over anyway (--on-no-convergence switch)", estimateNanos / 1e6,
                    policy.maxDowntimeNanos() / 1_000_000, measured.round()));
        }
        return true;
    }

    /** The hard downtime budget cannot be met and the operator asked to abort (issue 13 item 3). */
    static final class DowntimeBudgetException extends IOException {
        private static final long serialVersionUID = 1L;

        DowntimeBudgetException(final long estimateNanos, final long budgetNanos, final int rounds) {
            super(String.format("no convergence: estimated downtime %.1f ms exceeds --max-downtime %d ms after %d "
                    + "rounds (--on-no-convergence abort)", estimateNanos / 1e6, budgetNanos / 1_000_000, rounds));
        }
    }

    /** Puts every device that offers it into PRE_COPY, timing the arcs (a measure of the switchover's own arcs). */
    private void enterPrecopy(final MigrationStream[] streams) throws DeviceException, IOException {
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i).target().flags().has(MigrationFeature.PRE_COPY)) {
                final long t = timeline.now();
                streams[i] = devices.get(i).target().setState(MigrationState.PRE_COPY).stream().orElseThrow(
                        () -> new IOException("device entered PRE_COPY without a data stream"));
                arcNanos += timeline.now() - t;
                events.accept(new MigrationEvent.DeviceState(devices.get(i).descriptor().name(),
                        devices.get(i).target().state()));
            } else {
                acks.notInPrecopy(i);
            }
        }
    }

    private List<Callable<Long>> roundTasks(final Session session, final MigrationStream[] streams,
            final MemorySender memory, final int round) {
        final List<Callable<Long>> tasks = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            final int index = i;
            if (streams[i] != null) {
                tasks.add(() -> drainAvailable(session.data().get(index).writer(), index, streams[index], round));
            }
        }
        tasks.add(() -> {
            final long began = timeline.now();
            previousCollect = round == 1 ? -1 : lastCollect;
            lastCollect = began;
            final long pages = memory.sendDirty();
            timeline.record(Phase.PRE_COPY, "memory", round, began, pages);
            return pages;
        });
        return tasks;
    }

    /**
     * The switchover's steps that move no data, as measured so far: the source's P2P and STOP_COPY arcs and the
     * destination's RESUMING→STOP→RUNNING_P2P each cost about what entering PRE_COPY did.
     */
    private long fixedNanos() {
        return 3 * arcNanos;
    }

    /** @return the last downtime estimate in nanoseconds, or -1 if no round ran (no bandwidth measured) */
    long estimateNanos() {
        return estimateNanos;
    }

    /** Reads the pre-copy data a device has now and sends it; then says when its initial data is all sent. */
    private long drainAvailable(final RecordWriter writer, final int i, final MigrationStream stream,
            final int round)
            throws IOException, DeviceException {
        final long start = timeline.now();
        final MigrationTarget target = devices.get(i).target();
        final boolean reported = target.capabilities().precopyInfo();
        final long total = reported ? drainReported(writer, i, stream, precopyInfo(i))
                : drainObserved(writer, i, stream);
        precopyBytes[i] += total;
        timeline.record(Phase.PRE_COPY, devices.get(i).descriptor().name(), round, start, total);
        final boolean initialDone = reported ? precopyInfo(i).initialBytes() == 0
                : observed[i].initialSent();
        if (!acks.sent(i) && initialDone) {
            // Counted before it is written: the destination's ack may arrive (control thread) before write returns.
            acks.markSent(i);
            writer.write(RecordKind.INIT_DATA_SENT, i);
        }
        return total;
    }

    /**
     * With PRECOPY_INFO: a round takes what the device reports pending at its start, so a device dirtying faster
     * than the link cannot hold a round open; the rest goes in later rounds or the stop-copy.
     */
    private long drainReported(final RecordWriter writer, final int i, final MigrationStream stream,
            final PrecopyInfo pending) throws IOException, DeviceException {
        final ByteBuffer buf = buffer(i);
        final long budget = pending.initialBytes() + pending.dirtyBytes();
        long total = 0;
        for (int n; total < budget && (n = stream.read(buf.clear())) > 0;) {
            writer.write(RecordKind.DEVICE_DATA, i, buf.flip());
            total += n;
        }
        return total;
    }

    /**
     * Without PRECOPY_INFO (vfio-user spec): read until the device has nothing more for now — a read of 0 bytes
     * (the stream's contract; a short MIG_DATA_READ reply is how a vfio-user server says it) — or until
     * {@link #ROUND_CAP_NANOS}.
     */
    private long drainObserved(final RecordWriter writer, final int i, final MigrationStream stream)
            throws IOException, DeviceException {
        final ByteBuffer buf = buffer(i);
        final long deadline = timeline.now() + ROUND_CAP_NANOS;
        long total = 0;
        int n;
        while ((n = stream.read(buf.clear())) > 0) {
            writer.write(RecordKind.DEVICE_DATA, i, buf.flip());
            total += n;
            if (timeline.now() >= deadline) {
                break;
            }
        }
        if (n < 0) {
            throw new IOException("device " + devices.get(i).descriptor().name()
                    + " ended its stream in PRE_COPY (end of stream is for STOP_COPY only)");
        }
        observed[i].round(total, n == 0);
        return total;
    }

    /** Reads a device's stream to its end (STOP_COPY) and sends it, then DEVICE_END with the byte count. */
    long drainToEnd(final RecordWriter writer, final int i, final MigrationStream stream)
            throws IOException, DeviceException {
        final ByteBuffer buf = buffer(i);
        final long start = timeline.now();
        long total = 0;
        for (int n; (n = stream.read(buf.clear())) != -1;) {
            if (n == 0) {
                throw new IOException("device " + devices.get(i).descriptor().name()
                        + " reported no data in STOP_COPY without ending its stream");
            }
            writer.write(RecordKind.DEVICE_DATA, i, buf.flip());
            total += n;
        }
        stopCopyBytes[i] = total;
        timeline.record(Phase.STOP_COPY, devices.get(i).descriptor().name(), 0, start, total);
        writer.write(RecordKind.DEVICE_END, i, ByteBuffer.allocate(8).putLong(precopyBytes[i] + total).flip());
        return total;
    }

    void addMemory(final long bytes) {
        memoryBytes += bytes;
    }

    private long remaining(final MemorySender memory) throws DeviceException {
        long remaining = memoryRemaining(memory);
        for (int i = 0; i < devices.size(); i++) {
            remaining += deviceRemaining(i);
        }
        return remaining;
    }

    /**
     * Guest memory a stop-copy would still send: what the guest and the devices dirty per second (the pages the last
     * round collected over the time since the collection before) times the time since the last collection plus the
     * switchover's steps before the stop-copy collects again. In round 1 everything was dirty (nothing measured),
     * so the pages it sent stand.
     */
    private long memoryRemaining(final MemorySender memory) {
        final long collected = memory.lastDirtyPages() * GuestMemory.PAGE;
        if (previousCollect < 0) {
            return collected;
        }
        final double rate = collected * 1e9 / Math.max(1, lastCollect - previousCollect);
        return (long) (rate * (timeline.now() - lastCollect + fixedNanos()) / 1e9);
    }

    /**
     * @return what device {@code i} would still send if it stopped now: MIG_DATA_SIZE and PRECOPY_INFO where
     *         offered, else what its stream showed (0 for a device outside pre-copy that reports nothing)
     */
    private long deviceRemaining(final int i) throws DeviceException {
        final MigrationTarget t = devices.get(i).target();
        final TargetCapabilities caps = t.capabilities();
        long device = caps.stopCopySize() ? t.stopCopySize() : 0;
        if (t.state() == MigrationState.PRE_COPY) {
            if (caps.precopyInfo()) {
                final PrecopyInfo info = precopyInfo(i);
                device = Math.max(device, info.initialBytes() + info.dirtyBytes());
            } else {
                device = Math.max(device, observed[i].estimate());
            }
        }
        return device;
    }

    /** @return true unless a device without PRECOPY_INFO had more data than its last round could read */
    private boolean allDrained() {
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i).target().state() == MigrationState.PRE_COPY
                    && !devices.get(i).target().capabilities().precopyInfo() && !observed[i].drained()) {
                return false;
            }
        }
        return true;
    }

    /**
     * At the round limit: waits for the acknowledgement of every device whose initial data was sent. A device whose
     * initial data never drained cannot be acknowledged; the switchover goes ahead without it (its destination
     * then loads more during the downtime), and says so.
     */
    private void awaitAcks() throws IOException, InterruptedException {
        for (int i = 0; i < devices.size(); i++) {
            if (acks.neverSent(i)) {
                progress.accept("device " + devices.get(i).descriptor().name() + ": its initial pre-copy data did"
                        + " not drain in " + options.maxRounds() + " rounds; switching over without its"
                        + " switchover-ack");
            }
        }
        acks.awaitSent(timeline.now() + options.timeout().toNanos(), timeline::now, options.timeout().toMillis());
    }

    private ByteBuffer buffer(final int i) {
        if (buffers[i] == null) {
            buffers[i] = ByteBuffer.allocateDirect(options.chunkBytes());
        }
        return buffers[i];
    }

    MigrationReport report(final Verification verified, final double downtimeMs, final double totalMs,
            final List<Timeline.Span> spans) {
        final List<MigrationReport.DeviceStats> ds = new ArrayList<>();
        long bytes = memoryBytes;
        for (int i = 0; i < devices.size(); i++) {
            final DeviceDescriptor d = devices.get(i).descriptor();
            ds.add(new MigrationReport.DeviceStats(d.name(), d.kind(), precopyBytes[i], stopCopyBytes[i]));
            bytes += precopyBytes[i] + stopCopyBytes[i];
        }
        return new MigrationReport(verified, downtimeMs, totalMs, bytes, stats.size(), stats, ds, memoryBytes,
                spans, new MigrationReport.DowntimeBudget(estimateNanos < 0 ? Double.NaN : estimateNanos / 1e6,
                        policy.downtimeLimitNanos() / 1e6, policy.maxDowntimeNanos() / 1e6), timeline.origin());
    }

}
