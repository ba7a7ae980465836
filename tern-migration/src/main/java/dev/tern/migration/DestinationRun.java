package dev.tern.migration;

import dev.tern.device.migration.MigrationStream;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.CorruptStreamException;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One session of the destination's state machine, in the shape of the source's ({@link SourceRun}): a current phase,
 * one {@link #transition}, a short method per phase returning the next one, and {@link #fail} deciding from the
 * commit point what a failure leaves (before it: every device reset, the source told why).
 */
final class DestinationRun implements AutoCloseable {
    private final DestinationMigration owner;
    private final List<MigratingDevice> devices;
    private final GuestMemory memory;
    private final MigrationOptions options;
    private final Timeline timeline;
    private final OutcomeStore outcomes;
    private final Session session;
    private final RecordWriter control;
    private final ProgressWatchdog watchdog;
    private final ControlInbox inbox;
    /** When the source's STOP_COPY_BEGIN arrived (timeline nanos): the destination's view of the switchover. */
    private final CompletableFuture<Long> stopCopyBegan = new CompletableFuture<>();
    private final MigrationStream[] sinks;
    private final Consumer<MigrationEvent> events;
    private MigrationEvent.Status lastStatus;
    private Phase phase;
    private boolean committed;
    private VerifyPlan plan;
    private MemoryDigest digest;
    private List<Long> received;
    private long downtimeStart;
    private long loadStart;
    private long applied;
    private long verified;
    private DestinationMigration.Result result;

    DestinationRun(final DestinationMigration owner, final Session session) {
        this.owner = owner;
        this.devices = owner.devices();
        this.memory = owner.memory();
        this.options = owner.options();
        this.timeline = owner.timeline();
        this.outcomes = owner.outcomeStore();
        this.session = session;
        this.sinks = new MigrationStream[devices.size()];
        this.events = owner.events();
        this.control = session.control().writer();
        this.watchdog = new ProgressWatchdog(session, options, "source", timeline.clock());
        // Closed only after a failure is handled: closing it interrupts its read, which closes the control channel,
        // and a failure must still send its ABORT there.
        this.inbox = new ControlInbox(session.control().reader(), "tern-destination-control", this::onControl);
    }

    /** Enters {@code next}: the phase listener sees it on this thread. */
    void transition(final Phase next) {
        phase = next;
        owner.enter(next);
        final MigrationEvent.Status status = status(next);
        // Like the source's: each of QEMU's coarser statuses once.
        if (!status.equals(lastStatus)) {
            events.accept(status);
            lastStatus = status;
        }
    }

    /** QEMU's status of an incoming migration in {@code p}: receiving state is "active", loading it "device". */
    private static MigrationEvent.Status status(final Phase p) {
        return new MigrationEvent.Status(switch (p) {
            case HANDSHAKE -> "setup";
            case PRE_COPY, STOP_COPY -> "active";
            case P2P, LOAD, COMMIT -> "device";
            case CLEANUP -> "completed";
        });
    }

    /** Reports every device's state as read back from it (QEMU's VFIO_MIGRATION). */
    private void deviceStates() {
        for (final MigratingDevice d : devices) {
            events.accept(new MigrationEvent.DeviceState(d.descriptor().name(), d.target().state()));
        }
    }

    /** Runs the current phase; @return the next phase, or null once the devices run here. */
    Phase step() throws Exception {
        return switch (phase) {
            case HANDSHAKE -> handshake();
            case PRE_COPY, STOP_COPY -> transfer();
            case LOAD -> load();
            case COMMIT -> commit();
            case P2P, CLEANUP -> throw new IllegalStateException(phase + " is a source phase");
        };
    }

    private Phase handshake() throws Exception {
        final Hello hello;
        try {
            hello = Hello.decode(inbox.expect(RecordKind.HELLO, options.timeout()).payload());
        } catch (final IllegalArgumentException e) {
            throw refused(e.getMessage());
        }
        final String why = hello.incompatibility(devices.stream().map(MigratingDevice::descriptor).toList(),
                memory.size());
        if (why != null) {
            throw refused(why);
        }
        plan = new VerifyPlan(hello.verify(), hello.checksums(), DestinationMigration.checksumOffers(devices));
        final String unverifiable = plan.refusal(hello.devices());
        if (unverifiable != null) {
            throw refused(unverifiable);
        }
        if (session.data().size() != devices.size() + 1) {
            throw new IOException("expected " + (devices.size() + 1) + " data connections, got "
                    + session.data().size());
        }
        memory.populate();
        for (int i = 0; i < devices.size(); i++) {
            sinks[i] = DestinationMigration.openResuming(devices.get(i));
        }
        deviceStates();
        control.write(RecordKind.HELLO_REPLY, -1, new HelloReply(true, "", plan.destination()).encode());
        return hello.precopy() ? Phase.PRE_COPY : Phase.STOP_COPY;
    }

    private MigrationRefusedException refused(final String why) {
        DestinationMigration.refuse(control, why);
        return new MigrationRefusedException(why);
    }

    /** Pre-copy and stop-copy alike: every device stream and guest memory until each one's end record. */
    private Phase transfer() throws Exception {
        final List<Callable<Long>> receivers = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            final int index = i;
            receivers.add(() -> DestinationMigration.receiveDevice(session.data().get(index).reader(), index,
                    sinks[index], control));
        }
        // The memory digest is kept as pages arrive, so verification adds nothing at switchover (issue 13 item 1).
        digest = plan.checksMemory() ? new MemoryDigest(memory.pages()) : null;
        receivers.add(() -> DestinationMigration.receiveMemory(session.data().get(devices.size()).reader(), memory,
                digest));
        received = Parallel.run(receivers);
        return Phase.LOAD;
    }

    /**
     * RESUMING → STOP for every device (validating and applying), the device checksums while everything is stopped
     * (RUNNING_P2P is a running state: a device there may already change its own state and DMA into guest memory),
     * then RUNNING_P2P and LOADED.
     */
    private Phase load() throws Exception {
        downtimeStart = awaitStopCopyBegin();
        loadStart = timeline.now();
        for (final MigratingDevice d : devices) {
            d.target().setState(MigrationState.STOP);
        }
        applied = timeline.now();
        deviceStates();
        final Checksums loaded = Checksums.of(devices, () -> digest == null ? 0L : digest.value(), plan);
        verified = timeline.now();
        for (final MigratingDevice d : devices) {
            if (d.target().flags().has(MigrationFeature.P2P)) {
                d.target().setState(MigrationState.RUNNING_P2P);
                events.accept(new MigrationEvent.DeviceState(d.descriptor().name(), d.target().state()));
            }
        }
        // From LOADED on the source may commit, so from here a query about this session must be answerable.
        outcomes.awaiting(session.id(), session::abort);
        control.write(RecordKind.LOADED, -1, loaded.encode());
        timeline.record(Phase.LOAD, "all", 0, loadStart, 0);
        return Phase.COMMIT;
    }

    private Phase commit() throws Exception {
        inbox.expect(RecordKind.COMMIT, options.timeout());
        if (!outcomes.commit(session.id())) {
            throw new IOException("an outcome query decided this session first: rolled back, COMMIT refused");
        }
        committed = true;
        for (final MigratingDevice d : devices) {
            d.target().setState(MigrationState.RUNNING);
        }
        final long running = timeline.now();
        deviceStates();
        control.write(RecordKind.COMMITTED, -1);
        awaitCommitSeen();
        final long memBytes = received.get(devices.size());
        result = new DestinationMigration.Result(received.stream().mapToLong(Long::longValue).sum() - memBytes,
                memBytes, timeline.now() / 1e6, (applied - loadStart) / 1e6, (verified - applied) / 1e6,
                (running - downtimeStart) / 1e6);
        events.accept(status(Phase.CLEANUP));
        return null;
    }

    /** @return the result of a completed run */
    DestinationMigration.Result result() {
        return result;
    }

    /** What a failure leaves: before the commit point every device reset and the source told why. */
    MigrationFailedException fail(final Exception e) {
        final Phase at = phase == Phase.PRE_COPY && stopCopyBegan.isDone()
                && !stopCopyBegan.isCompletedExceptionally() ? Phase.STOP_COPY : phase;
        final String cause = cause(e);
        if (committed) {
            events.accept(new MigrationEvent.Status("failed"));
            return new MigrationFailedException(at, false, "after the commit point: " + cause, e);
        }
        final String message = "receive failed in " + at + ": " + cause + "; "
                + DestinationMigration.resetAll(devices);
        deviceStates();
        events.accept(new MigrationEvent.Status("failed"));
        outcomes.rolledBack(session.id());
        if (!(e instanceof MigrationRefusedException)) {
            DestinationMigration.tellSource(control, message);
        }
        return new MigrationFailedException(at, true, message, e);
    }

    /** Why receiving failed: the source's own reason if it sent an ABORT, else this side's view. */
    private String cause(final Exception e) {
        if (watchdog.fired()) {
            return "no progress from the source for " + options.timeout().toMillis() + " ms";
        }
        final String own = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // A corrupt stream is this side's finding; only a failed connection may hide the source's ABORT.
        return e instanceof CorruptStreamException ? own
                : SourceMigration.theirReason(e, inbox).map(r -> "source: " + r).orElse(own);
    }

    /**
     * Control records handled as they arrive: STOP_COPY_BEGIN marks the switchover (the source's devices are
     * stopping). A heartbeat needs nothing here; the inbox's end (kind null) ends the wait for STOP_COPY_BEGIN.
     */
    private void onControl(final ControlInbox.Message m) {
        if (m.kind() == RecordKind.STOP_COPY_BEGIN) {
            stopCopyBegan.complete(timeline.now());
        } else if (m.kind() == null) {
            stopCopyBegan.completeExceptionally(new IOException("the control connection ended before STOP_COPY_BEGIN"));
        }
    }

    /**
     * Every device stream has ended, so the source has sent STOP_COPY_BEGIN before it (it writes it before any device
     * leaves pre-copy); it may still be in flight on the control connection, so the wait is bounded. A source that
     * ends its streams without it is not following the protocol.
     *
     * @return when it arrived (timeline nanos)
     */
    private long awaitStopCopyBegin() throws IOException {
        try {
            return stopCopyBegan.get(options.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (final TimeoutException e) {
            throw new CorruptStreamException("the source ended its device streams without STOP_COPY_BEGIN");
        } catch (final ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for STOP_COPY_BEGIN", e);
        }
    }

    /**
     * The source confirms COMMITTED arrived; until it does, the outcome is kept for its query. Not a failure if it
     * never comes: the destination has committed and runs the devices whatever the source saw.
     */
    private void awaitCommitSeen() {
        try {
            inbox.expect(RecordKind.COMMIT_SEEN, options.timeout());
            outcomes.released(session.id());
        } catch (final IOException e) {
            System.getLogger(DestinationMigration.class.getName()).log(System.Logger.Level.WARNING, String.format(
                    "session %016x: committed, but the source did not confirm (%s); the outcome is kept for its "
                    + "query", session.id(), e.getMessage()));
        }
    }

    @Override
    public void close() {
        inbox.close();
        watchdog.close();
        session.close();
    }
}
