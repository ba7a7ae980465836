package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.migration.MigrationStream;
import dev.tern.migration.channel.MigrationConnector;
import dev.tern.migration.channel.Session;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The source side of a live migration (the sequence of QEMU's hw/vfio/migration.c, spec live-migration.md §1.1):
 * handshake → pre-copy rounds → P2P for every device → STOP_COPY drained in parallel → destination loads →
 * commit. Any failure before the commit point puts every source device back to RUNNING (recovery state, then reset
 * if that fails), resumes the guest, and reports each device as read back afterwards ({@link SourceOutcome}); after
 * it, the source never runs the devices again.
 */
public final class SourceMigration {

    /** The guest's vCPUs, paused for the switchover. */
    public interface Guest {
        /** No guest: devices only. */
        Guest NONE = new Guest() {
            @Override
            public void pause() {
            }

            @Override
            public void resume() {
            }
        };

        /** Stops the guest writing memory and driving devices. */
        void pause();

        /** Lets it run again (only after a failed migration). */
        void resume();
    }

    /** How long a failed source waits for the destination's ABORT to be read (it is already in flight). */
    private static final java.time.Duration PEER_REASON_WAIT = java.time.Duration.ofMillis(500);

    private final List<MigratingDevice> devices;
    private final GuestMemory memory;
    private final Guest guest;
    private final MigrationOptions options;
    private final Timeline timeline;
    private final SourceRounds rounds;
    private Consumer<Phase> phaseListener = p -> { };
    private volatile Session active;
    private volatile boolean aborted;
    private volatile MigrationFailedException failure;
    private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    private Consumer<String> progress = s -> { };
    private Consumer<MigrationEvent> events = e -> { };

    /**
     * @param devices the devices, each RUNNING
     * @param memory the guest memory they DMA into (IOVA = guest offset)
     * @param guest the guest to pause at switchover
     * @param options how to migrate
     * @param clock the migration's clock ({@link MigrationClock#SYSTEM} outside tests)
     */
    public SourceMigration(final List<MigratingDevice> devices, final GuestMemory memory, final Guest guest,
            final MigrationOptions options, final MigrationClock clock) {
        this.devices = List.copyOf(devices);
        this.memory = memory;
        this.guest = guest;
        this.options = options;
        this.timeline = new Timeline(clock);
        this.rounds = new SourceRounds(this.devices, options, timeline);
    }

    /** Called on the migrating thread as each phase begins (progress display; tests inject faults here). */
    public void onPhase(final Consumer<Phase> listener) {
        this.phaseListener = listener;
    }

    /** Receives one line per round and phase, for a terminal. */
    public void onProgress(final Consumer<String> listener) {
        this.progress = listener;
        rounds.onProgress(listener);
    }

    /** Receives the migration's events as they happen ({@link EventLog} writes them for operators). */
    public void onEvent(final Consumer<MigrationEvent> listener) {
        this.events = listener;
        rounds.onEvent(listener);
    }

    /**
     * Aborts a running migration from another thread (e.g. Ctrl-C): its connections close, so {@link #migrate}
     * fails into its usual recovery — before the commit point the source runs again — and this waits for that.
     *
     * @return true if the migration finished (recovered, failed or completed) within {@code timeout}
     */
    public boolean abort(final java.time.Duration timeout) throws InterruptedException {
        aborted = true;
        final Session s = active;
        if (s != null) {
            s.abort();
        }
        return finished.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** @return how the last {@link #migrate} failed, or null */
    public MigrationFailedException failure() {
        return failure;
    }

    /**
     * Migrates everything to the destination listening at {@code to}.
     *
     * @throws MigrationFailedException if it did not complete; {@link MigrationFailedException#sourceRecovered()}
     *         tells whether the source runs again (always, for failures before the commit point)
     */
    public MigrationReport migrate(final InetSocketAddress to, final Optional<TlsConfig> tls)
            throws MigrationFailedException {
        return migrate(to, tls, Optional.empty());
    }

    /**
     * As {@link #migrate(InetSocketAddress, Optional)}, proving the receive's session secret on every connection
     * (issue 9 item 11) when one is given.
     */
    public MigrationReport migrate(final InetSocketAddress to, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret) throws MigrationFailedException {
        final Attempt a = new Attempt(to, tls, secret);
        try {
            for (Phase next = Phase.HANDSHAKE; next != null; next = a.step()) {
                a.transition(next);
            }
            return a.report;
        } catch (final Exception e) {
            failure = a.fail(e);
            throw failure;
        } finally {
            a.close();
            finished.countDown();
        }
    }

    /**
     * One run of the source's state machine (Aeron's {@code Election} shape): a current phase, one
     * {@link #transition} that closes the phase's span and stamps the next one's start from the clock, a short
     * method per phase that returns the next phase, and {@link #fail} deciding from the phase and the commit point
     * what a failure leaves behind ({@link FailureRule}).
     */
    private final class Attempt implements AutoCloseable {
        private final InetSocketAddress to;
        private final Optional<TlsConfig> tls;
        private final Optional<SessionSecret> secret;
        private final List<MigratingDevice> logging = new ArrayList<>();
        private final MigrationStream[] streams = new MigrationStream[devices.size()];
        private Phase phase;
        private long phaseStart;
        private long phaseBytes;
        private boolean committed;
        private boolean paused;
        private Session session;
        private ControlInbox inbox;
        private ProgressWatchdog watchdog;
        private RecordWriter control;
        private Hello hello;
        private VerifyPlan plan;
        private MemorySender mem;
        private Checksums theirs;
        private long downtimeStart;
        private long downtimeEnd;
        private MigrationReport report;
        private MigrationEvent.Status lastStatus;

        Attempt(final InetSocketAddress to, final Optional<TlsConfig> tls, final Optional<SessionSecret> secret) {
            this.to = to;
            this.tls = tls;
            this.secret = secret;
        }

        /** Ends the current phase (its span on the timeline) and enters {@code next}, unless aborted. */
        void transition(final Phase next) throws IOException {
            if (phase != null) {
                timeline.record(phase, phase == Phase.LOAD ? "destination" : phase == Phase.CLEANUP ? "source"
                        : "all", 0, phaseStart, phaseBytes);
            }
            phase = next;
            phaseBytes = 0;
            enter(next);
            final MigrationEvent.Status status = MigrationEvent.Status.of(next);
            // QEMU's statuses are coarser than the phases: each is reported once, and "completed" once verified.
            if (next != Phase.CLEANUP && !status.equals(lastStatus)) {
                events.accept(status);
                lastStatus = status;
            }
            phaseStart = timeline.now();
        }

        /** Runs the current phase; @return the next phase, or null when the migration is complete. */
        Phase step() throws Exception {
            return switch (phase) {
                case HANDSHAKE -> handshake();
                case PRE_COPY -> precopy();
                case P2P -> p2p();
                case STOP_COPY -> stopCopy();
                case LOAD -> load();
                case COMMIT -> commit();
                case CLEANUP -> cleanup();
            };
        }

        private Phase handshake() throws Exception {
            session = MigrationConnector.connect(to, devices.size() + 1, tls, secret, options.timeout());
            active = session;
            watchdog = new ProgressWatchdog(session, options, "destination", timeline.clock());
            if (aborted) {
                throw new IOException("aborted");
            }
            inbox = new ControlInbox(session.control().reader(), "tern-source-control", rounds::onControl);
            control = session.control().writer();
            hello = Hello.of(memory.size(), options.verify(), options.precopy(), devices);
            control.write(RecordKind.HELLO, -1, hello.encode());
            plan = SourceMigration.this.handshake(hello, inbox);
            return options.precopy() ? Phase.PRE_COPY : Phase.P2P;
        }

        /** Dirty logging starts here (also without pre-copy: the stop-copy then sends memory whole). */
        private void startAllLogging() {
            for (final MigratingDevice d : devices) {
                if (startLogging(d)) {
                    logging.add(d);
                }
            }
            memory.markAllDirty();
            mem = new MemorySender(memory, logging, session.data().get(devices.size()).writer(), devices.size(),
                    options.chunkBytes());
            if (logging.size() < devices.size()) {
                progress.accept("a device cannot log its DMA: guest memory is re-sent whole at switchover");
            }
        }

        private Phase precopy() throws Exception {
            startAllLogging();
            rounds.precopy(session, streams, mem);
            return Phase.P2P;
        }

        private Phase p2p() throws Exception {
            if (mem == null) {
                startAllLogging();
            }
            guest.pause();
            paused = true;
            downtimeStart = phaseStart;
            for (final MigratingDevice d : devices) {
                if (d.target().flags().has(MigrationFeature.P2P)) {
                    arc(d, d.target().state() == MigrationState.PRE_COPY ? MigrationState.PRE_COPY_P2P
                            : MigrationState.RUNNING_P2P);
                }
            }
            return Phase.STOP_COPY;
        }

        private Phase stopCopy() throws Exception {
            control.write(RecordKind.STOP_COPY_BEGIN, -1);
            for (int i = 0; i < devices.size(); i++) {
                final Optional<MigrationStream> opened = arc(devices.get(i), MigrationState.STOP_COPY);
                if (opened.isPresent()) {
                    streams[i] = opened.get();
                }
            }
            if (logging.size() < devices.size()) {
                memory.markAllDirty();
            }
            final List<Long> drained = Parallel.run(drains(), options.parallelDevices());
            rounds.addMemory(drained.get(devices.size()));
            phaseBytes = drained.stream().mapToLong(Long::longValue).sum();
            return Phase.LOAD;
        }

        /** One drain per device stream and one for the dirty guest memory, each on its own connection. */
        private List<Callable<Long>> drains() {
            final List<Callable<Long>> drains = new ArrayList<>();
            for (int i = 0; i < devices.size(); i++) {
                final int index = i;
                drains.add(() -> rounds.drainToEnd(session.data().get(index).writer(), index, streams[index]));
            }
            drains.add(() -> {
                final long start = timeline.now();
                final long sent = mem.sendDirty();
                mem.end();
                timeline.record(Phase.STOP_COPY, "memory", 0, start, sent);
                return sent;
            });
            return drains;
        }

        private Phase load() throws Exception {
            theirs = Checksums.decode(inbox.expect(RecordKind.LOADED, options.timeout()).payload());
            return Phase.COMMIT;
        }

        private Phase commit() throws Exception {
            control.write(RecordKind.COMMIT, -1);
            committed = true;
            new CommitPoint(to, tls, secret, options.timeout(), progress).awaitCommitted(inbox, session);
            downtimeEnd = timeline.now();
            return Phase.CLEANUP;
        }

        /**
         * The source's side of the verification runs here, off the downtime path: its devices stay in STOP_COPY and
         * its guest is paused, so this is exactly the state at switchover. (Corrupt transfers are already refused
         * before the commit by the records' CRC32C, byte counts and the device's load.)
         */
        private Phase cleanup() throws Exception {
            final Verification verified = verify(plan, theirs, hello.devices());
            for (final MigratingDevice d : devices) {
                arc(d, MigrationState.STOP);
            }
            stopLogging(logging);
            timeline.record(phase, "source", 0, phaseStart, 0);
            phase = null;
            final double downtime = (downtimeEnd - downtimeStart) / 1e6;
            final double total = timeline.now() / 1e6;
            progress.accept(String.format("migrated: downtime %.1f ms, total %.1f ms", downtime, total));
            report = rounds.report(verified, downtime, total, timeline.spans());
            events.accept(new MigrationEvent.Downtime(downtime, report.budget().estimateMs()));
            events.accept(MigrationEvent.Status.of(Phase.CLEANUP));
            return null;
        }

        /** Moves a device to {@code to} and reports the state read back from it. */
        private Optional<MigrationStream> arc(final MigratingDevice d, final MigrationState to)
                throws DeviceException {
            final Optional<MigrationStream> stream = d.target().setState(to).stream();
            events.accept(new MigrationEvent.DeviceState(d.descriptor().name(), d.target().state()));
            return stream;
        }

        /** What a failure leaves behind, by {@link FailureRule}: recovered, or in doubt after the commit point. */
        MigrationFailedException fail(final Exception e) {
            final Phase at = phase == null ? Phase.CLEANUP : phase;
            final boolean peerAborted = theirReason(e, inbox).isPresent();
            final String cause = cause(e, inbox, watchdog);
            if (FailureRule.of(committed, e instanceof CommitResolver.RolledBack, peerAborted)
                    == FailureRule.IN_DOUBT) {
                events.accept(new MigrationEvent.Status("failed"));
                return new MigrationFailedException(at, false, "after the commit point: " + cause
                        + "; the source keeps its devices stopped with state intact (in doubt: run 'tern resolve "
                        + "--to " + to.getHostString() + ":" + to.getPort() + " --session "
                        + String.format("%016x", session.id()) + "' to learn which side must run)", e);
            }
            final List<SourceOutcome> outcomes = SourceRecovery.recover(devices, streams, logging,
                    paused ? guest : null, session, timeline.clock(), cause);
            final boolean recovered = outcomes.stream().allMatch(o -> o.state() == MigrationState.RUNNING);
            for (final SourceOutcome o : outcomes) {
                if (o.state() != null) {
                    events.accept(new MigrationEvent.DeviceState(o.name(), o.state()));
                }
            }
            events.accept(new MigrationEvent.Status(aborted ? "cancelled" : "failed"));
            return new MigrationFailedException(at, recovered, "migration failed in " + at + ": " + cause
                    + "; source devices after recovery: " + SourceOutcome.describe(outcomes), e, outcomes);
        }

        @Override
        public void close() {
            if (watchdog != null) {
                watchdog.close();
            }
            if (inbox != null) {
                inbox.close();
            }
            if (session != null) {
                session.close();
            }
        }
    }

    /**
     * Reads the destination's answer to the hello and derives the verification plan; with
     * {@link VerifyMode#REQUIRED} the destination refuses what cannot be verified (this side checks too).
     */
    private VerifyPlan handshake(final Hello hello, final ControlInbox inbox) throws Exception {
        final HelloReply reply = HelloReply.decode(inbox.expect(RecordKind.HELLO_REPLY, options.timeout()).payload());
        if (!reply.accepted()) {
            throw new MigrationRefusedException(reply.reason());
        }
        if (reply.checksums().length != devices.size()) {
            throw new IOException("the destination's handshake reply names " + reply.checksums().length
                    + " devices, " + devices.size() + " migrate");
        }
        final VerifyPlan plan = new VerifyPlan(options.verify(), hello.checksums(), reply.checksums());
        final String refusal = plan.refusal(hello.devices());
        if (refusal != null) {
            throw new MigrationRefusedException(refusal);
        }
        if (options.verify() == VerifyMode.AUTO) {
            for (final String d : plan.unverifiable(hello.devices())) {
                progress.accept("not verifiable: " + d);
            }
        }
        return plan;
    }

    /** Compares this side's checksums (devices frozen in STOP_COPY) with the destination's, as planned. */
    private Verification verify(final VerifyPlan plan, final Checksums theirs, final List<DeviceDescriptor> names)
            throws Exception {
        if (options.verify() == VerifyMode.OFF) {
            return Verification.off(devices.size());
        }
        final Verification v = plan.compare(Checksums.of(devices, () -> MemoryDigest.of(memory.segment()), plan),
                theirs, names);
        if (Boolean.FALSE.equals(v.verified())) {
            progress.accept("VERIFICATION FAILED: " + mismatches(v, names));
        }
        return v;
    }

    private static String mismatches(final Verification v, final List<DeviceDescriptor> names) {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (v.devices().get(i).status() == Verification.Status.MISMATCH) {
                out.add("device " + names.get(i).name() + ": " + v.devices().get(i).detail());
            }
        }
        if (v.memory().status() == Verification.Status.MISMATCH) {
            out.add("guest memory: " + v.memory().detail());
        }
        return String.join("; ", out);
    }

    /**
     * Why the migration failed, in one line: the destination's own reason when it sent one (its ABORT reaches this
     * side before the connection's end does), else this side's view.
     */
    private String cause(final Exception e, final ControlInbox inbox, final ProgressWatchdog watchdog) {
        if (aborted) {
            return "aborted";
        }
        final Optional<String> theirs = theirReason(e, inbox);
        if (theirs.isPresent()) {
            return "destination: " + theirs.get();
        }
        if (watchdog != null && watchdog.fired()) {
            return "no progress from the destination for " + options.timeout().toMillis() + " ms";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** @return the reason of the destination's ABORT, if the failure was the connection's and one came */
    static Optional<String> theirReason(final Exception e, final ControlInbox inbox) {
        return inbox == null || !(e instanceof IOException) ? Optional.empty() : inbox.peerReason(PEER_REASON_WAIT);
    }

    private boolean startLogging(final MigratingDevice d) {
        if (!d.target().capabilities().dirtyLogging()) {
            // Declared unavailable (Debian 6.12's kernel: START accepted, REPORT EOPNOTSUPP): never relied on.
            return false;
        }
        try {
            d.target().startDirtyLogging(GuestMemory.PAGE, List.of(new DmaRange(0, memory.size())));
            return true;
        } catch (final DeviceException e) {
            return false;
        }
    }

    static void stopLogging(final List<MigratingDevice> logging) {
        for (final MigratingDevice d : logging) {
            try {
                d.target().stopDirtyLogging();
            } catch (final DeviceException e) {
                // Logging state does not affect the device's own state; nothing to undo.
            }
        }
    }

    private static boolean committedPhase(final Phase phase) {
        return phase == Phase.CLEANUP;
    }

    private void enter(final Phase phase) throws IOException {
        if (aborted && !committedPhase(phase)) {
            throw new IOException("aborted");
        }
        progress.accept("phase " + phase);
        phaseListener.accept(phase);
    }
}
