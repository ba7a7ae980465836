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
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * One run of the source's state machine (Aeron's {@code Election} shape): a current phase, one
 * {@link #transition} that closes the phase's span and stamps the next one's start from the clock, a short
 * method per phase that returns the next phase, and {@link #fail} deciding from the phase and the commit point
 * what a failure leaves behind ({@link FailureRule}).
 */
final class SourceRun implements AutoCloseable {
    private final SourceMigration owner;
    private final List<MigratingDevice> devices;
    private final GuestMemory memory;
    private final SourceMigration.Guest guest;
    private final MigrationOptions options;
    private final Timeline timeline;
    private final SourceRounds rounds;
    private final Consumer<String> progress;
    private final Consumer<MigrationEvent> events;
    private final InetSocketAddress to;
    private final Optional<TlsConfig> tls;
    private final Optional<SessionSecret> secret;
    private final List<MigratingDevice> logging = new ArrayList<>();
    private final MigrationStream[] streams;
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

    SourceRun(final SourceMigration owner, final InetSocketAddress to, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret) {
        this.owner = owner;
        this.devices = owner.devices();
        this.streams = new MigrationStream[devices.size()];
        this.memory = owner.memory();
        this.guest = owner.guest();
        this.options = owner.options();
        this.timeline = owner.timeline();
        this.rounds = owner.rounds();
        this.progress = owner.progress();
        this.events = owner.events();
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
        owner.enter(next);
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
        owner.active(session);
        watchdog = new ProgressWatchdog(session, options, "destination", timeline.clock());
        if (owner.aborted()) {
            throw new IOException("aborted");
        }
        inbox = new ControlInbox(session.control().reader(), "tern-source-control", rounds::onControl);
        control = session.control().writer();
        hello = Hello.of(memory.size(), options.verify(), options.precopy(), devices);
        control.write(RecordKind.HELLO, -1, hello.encode());
        plan = handshake(hello, inbox);
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
        new CommitPoint(to, tls, secret, options.timeout(), progress, timeline.clock()).awaitCommitted(inbox,
                session);
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
        SourceMigration.stopLogging(logging);
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
        final boolean peerAborted = SourceMigration.theirReason(e, inbox).isPresent();
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
        events.accept(new MigrationEvent.Status(owner.aborted() ? "cancelled" : "failed"));
        return new MigrationFailedException(at, recovered, "migration failed in " + at + ": " + cause
                + "; source devices after recovery: " + SourceOutcome.describe(outcomes), e, outcomes);
    }

    /** @return the report of a completed run */
    MigrationReport report() {
        return report;
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
        if (owner.aborted()) {
            return "aborted";
        }
        final Optional<String> theirs = SourceMigration.theirReason(e, inbox);
        if (theirs.isPresent()) {
            return "destination: " + theirs.get();
        }
        if (watchdog != null && watchdog.fired()) {
            return "no progress from the destination for " + options.timeout().toMillis() + " ms";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
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
}
