package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.CorruptStreamException;
import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordReader;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The destination side: checks the source's devices against its own before anything moves, loads each device's
 * stream into RESUMING and guest memory as it arrives (acknowledging each device's initial pre-copy data), then
 * RESUMING → STOP (validation) → RUNNING_P2P for every device, and only after all are loaded and the source
 * commits, RUNNING. A failure before the commit resets every destination device.
 */
public final class DestinationMigration {

    /**
     * What the destination received.
     *
     * @param deviceBytes device state bytes loaded
     * @param memoryBytes guest memory bytes written
     * @param totalMs handshake → devices RUNNING
     * @param applyMs RESUMING → STOP of every device (validating and applying the state), inside the downtime
     * @param verifyMs the checksums taken while stopped, inside the downtime (0 without verification)
     * @param downtimeMs the downtime as this side saw it: the source's STOP_COPY_BEGIN → devices RUNNING
     */
    public record Result(long deviceBytes, long memoryBytes, double totalMs, double applyMs, double verifyMs,
            double downtimeMs) {
    }

    private final List<MigratingDevice> devices;
    private final GuestMemory memory;
    private final MigrationOptions options;
    private final Timeline timeline;
    private Consumer<Phase> phaseListener = p -> { };
    private OutcomeStore outcomes = OutcomeStore.standard();
    /** When the source's STOP_COPY_BEGIN arrived (timeline nanos), or -1: the destination's view of the switchover. */
    private final CompletableFuture<Long> stopCopyBegan = new CompletableFuture<>();

    /**
     * @param devices freshly opened devices (RUNNING, never used), matching the source's
     * @param memory this side's guest memory, mapped by the devices for DMA
     * @param options timeouts
     * @param clock the migration's clock ({@link MigrationClock#SYSTEM} outside tests)
     */
    public DestinationMigration(final List<MigratingDevice> devices, final GuestMemory memory,
            final MigrationOptions options, final MigrationClock clock) {
        this.devices = List.copyOf(devices);
        this.memory = memory;
        this.options = options;
        this.timeline = new Timeline(clock);
    }

    /** Called as each phase begins (tests inject faults here). */
    public void onPhase(final Consumer<Phase> listener) {
        this.phaseListener = listener;
    }

    /**
     * Where this destination remembers what became of its sessions at the commit point (issue 9 item 13); give the
     * same store to the listener ({@code answerQueries}) so a source in doubt can ask.
     */
    public void outcomes(final OutcomeStore store) {
        this.outcomes = store;
    }

    /**
     * Receives one migration over an accepted session (and closes it).
     *
     * @throws MigrationFailedException if it did not complete; the destination's devices are then reset
     */
    public Result receive(final Session session) throws MigrationFailedException {
        Phase phase = Phase.HANDSHAKE;
        boolean committed = false;
        final RecordWriter control = session.control().writer();
        final ProgressWatchdog watchdog = new ProgressWatchdog(session, options, "source", timeline.clock());
        // Closed only after the catch: closing it interrupts its read, which closes the control channel, and a
        // failure must still send its ABORT there.
        final ControlInbox inbox = new ControlInbox(session.control().reader(), "tern-destination-control",
                this::onControl);
        try {
            phaseListener.accept(phase);
            final Hello hello;
            try {
                hello = Hello.decode(inbox.expect(RecordKind.HELLO, options.timeout()).payload());
            } catch (final IllegalArgumentException e) {
                refuse(control, e.getMessage());
                throw new MigrationRefusedException(e.getMessage());
            }
            final String why = hello.incompatibility(devices.stream().map(MigratingDevice::descriptor).toList(),
                    memory.size());
            if (why != null) {
                refuse(control, why);
                throw new MigrationRefusedException(why);
            }
            final VerifyPlan plan = new VerifyPlan(hello.verify(), hello.checksums(), checksumOffers());
            final String unverifiable = plan.refusal(hello.devices());
            if (unverifiable != null) {
                refuse(control, unverifiable);
                throw new MigrationRefusedException(unverifiable);
            }
            if (session.data().size() != devices.size() + 1) {
                throw new IOException("expected " + (devices.size() + 1) + " data connections, got "
                        + session.data().size());
            }
            memory.populate();
            final MigrationStream[] sinks = new MigrationStream[devices.size()];
            for (int i = 0; i < devices.size(); i++) {
                sinks[i] = openResuming(devices.get(i));
            }
            control.write(RecordKind.HELLO_REPLY, -1, new HelloReply(true, "", plan.destination()).encode());

            phase = hello.precopy() ? Phase.PRE_COPY : Phase.STOP_COPY;
            phaseListener.accept(phase);
            final List<Callable<Long>> receivers = new ArrayList<>();
            for (int i = 0; i < devices.size(); i++) {
                final int index = i;
                receivers.add(() -> receiveDevice(session.data().get(index).reader(), index, sinks[index], control));
            }
            // The memory digest is kept as pages arrive, so verification adds nothing at switchover (issue 13 item 1).
            final MemoryDigest digest = plan.checksMemory() ? new MemoryDigest(memory.pages()) : null;
            receivers.add(() -> receiveMemory(session.data().get(devices.size()).reader(), digest));
            final List<Long> received = Parallel.run(receivers);

            phase = Phase.LOAD;
            phaseListener.accept(phase);
            final long downtimeStart = awaitStopCopyBegin();
            long t = timeline.now();
            for (final MigratingDevice d : devices) {
                d.target().setState(MigrationState.STOP);
            }
            final long applied = timeline.now();
            // Checksums while everything is stopped: RUNNING_P2P is a running state (only P2P DMA is held back),
            // so a device there may already change its own state and DMA into guest memory.
            final Checksums loaded = Checksums.of(devices, () -> digest == null ? 0L : digest.value(), plan);
            final long verified = timeline.now();
            for (final MigratingDevice d : devices) {
                if (d.target().flags().has(MigrationFeature.P2P)) {
                    d.target().setState(MigrationState.RUNNING_P2P);
                }
            }
            // From LOADED on the source may commit, so from here a query about this session must be answerable.
            outcomes.awaiting(session.id(), session::abort);
            control.write(RecordKind.LOADED, -1, loaded.encode());
            timeline.record(phase, "all", 0, t, 0);

            phase = Phase.COMMIT;
            phaseListener.accept(phase);
            inbox.expect(RecordKind.COMMIT, options.timeout());
            if (!outcomes.commit(session.id())) {
                throw new IOException("an outcome query decided this session first: rolled back, COMMIT refused");
            }
            committed = true;
            for (final MigratingDevice d : devices) {
                d.target().setState(MigrationState.RUNNING);
            }
            final long running = timeline.now();
            control.write(RecordKind.COMMITTED, -1);
            awaitCommitSeen(inbox, session.id());
            final long memBytes = received.get(devices.size());
            return new Result(received.stream().mapToLong(Long::longValue).sum() - memBytes, memBytes,
                    timeline.now() / 1e6, (applied - t) / 1e6, (verified - applied) / 1e6,
                    (running - downtimeStart) / 1e6);
        } catch (final Exception e) {
            if (phase == Phase.PRE_COPY && stopCopyBegan.isDone() && !stopCopyBegan.isCompletedExceptionally()) {
                phase = Phase.STOP_COPY;
            }
            final String cause = cause(e, inbox, watchdog);
            if (committed) {
                throw new MigrationFailedException(phase, false, "after the commit point: " + cause, e);
            }
            final String message = "receive failed in " + phase + ": " + cause + "; " + resetAll();
            outcomes.rolledBack(session.id());
            if (!(e instanceof MigrationRefusedException)) {
                tellSource(control, message);
            }
            throw new MigrationFailedException(phase, true, message, e);
        } finally {
            inbox.close();
            watchdog.close();
            session.close();
        }
    }

    /** Why receiving failed: the source's own reason if it sent an ABORT, else this side's view. */
    private String cause(final Exception e, final ControlInbox inbox, final ProgressWatchdog watchdog) {
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
     * stopping). A failure (kind null) or a heartbeat needs nothing here.
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

    /** @return per device: it offers a state checksum */
    private boolean[] checksumOffers() {
        final boolean[] offers = new boolean[devices.size()];
        for (int i = 0; i < offers.length; i++) {
            offers[i] = devices.get(i).target().capabilities().checksum();
        }
        return offers;
    }

    /**
     * Opens a new RESUMING session. A device still in RESUMING from an earlier failed session (a vfio-user reset
     * keeps the migration state, vfio-user-interop.md L2) is walked to STOP first — a reset if that arc fails — since
     * SET RESUMING from RESUMING changes nothing and would append to the old session's data.
     */
    private static MigrationStream openResuming(final MigratingDevice d) throws DeviceException, IOException {
        final MigrationTarget t = d.target();
        if (t.state() == MigrationState.RESUMING) {
            try {
                t.setState(MigrationState.STOP);
            } catch (final DeviceException e) {
                t.reset();
            }
            if (t.state() == MigrationState.RESUMING) {
                throw new IOException("device " + d.descriptor().name() + " stays in RESUMING after RESUMING→STOP"
                        + " and a reset were tried: no new session can open");
            }
        }
        return t.setState(MigrationState.RESUMING).stream().orElseThrow(
                () -> new IOException("device " + d.descriptor().name() + " entered RESUMING without a data stream"));
    }

    /** Resets every device after a failure and says what each reports afterwards (read back, not assumed). */
    private String resetAll() {
        final List<String> states = new ArrayList<>();
        boolean allRunning = true;
        for (final MigratingDevice d : devices) {
            String failed = "";
            try {
                d.target().reset();
            } catch (final DeviceException | RuntimeException resetFailed) {
                failed = " (reset failed: " + MigrationFailedException.reason(resetFailed) + ")";
            }
            MigrationState now;
            try {
                now = d.target().state();
            } catch (final RuntimeException unreadable) {
                now = null;
            }
            allRunning &= now == MigrationState.RUNNING && failed.isEmpty();
            states.add(d.descriptor().name() + " " + (now == null ? "state unreadable" : now) + failed);
        }
        return (allRunning ? "destination devices reset, now " : "destination devices after reset: ")
                + String.join(", ", states);
    }

    private long receiveDevice(final RecordReader reader, final int i, final MigrationStream sink,
            final RecordWriter control) throws IOException, DeviceException {
        long total = 0;
        while (true) {
            final Record r = reader.read();
            if (r.deviceId() != i) {
                throw new CorruptStreamException("record for device " + r.deviceId() + " on device " + i
                        + "'s connection");
            }
            switch (r.kind()) {
                case DEVICE_DATA -> {
                    total += r.payload().remaining();
                    sink.write(r.payload());
                }
                case INIT_DATA_SENT -> control.write(RecordKind.SWITCHOVER_ACK, i);
                case DEVICE_END -> {
                    final long sent = r.payload().getLong();
                    if (sent != total) {
                        throw new CorruptStreamException("device " + i + ": source sent " + sent
                                + " state bytes, " + total + " arrived");
                    }
                    return total;
                }
                default -> throw new CorruptStreamException("unexpected " + r.kind() + " on device " + i
                        + "'s connection");
            }
        }
    }

    /** Writes arriving pages into guest memory, and into {@code digest} (null: not verified) as written. */
    private long receiveMemory(final RecordReader reader, final MemoryDigest digest) throws IOException {
        final MemorySegment guest = memory.segment();
        long total = 0;
        while (true) {
            final Record r = reader.read();
            if (r.kind() == RecordKind.MEMORY_END) {
                return total;
            }
            final ByteBuffer p = r.payload();
            if (r.kind() != RecordKind.MEMORY_PAGES || p.remaining() < 8) {
                throw new CorruptStreamException("unexpected " + r.kind() + " on the memory connection");
            }
            final long offset = p.getLong();
            final long length = p.remaining();
            if (offset < 0 || offset % GuestMemory.PAGE != 0 || length % GuestMemory.PAGE != 0
                    || offset > memory.size() - length) {
                throw new CorruptStreamException("memory run 0x" + Long.toHexString(offset) + "+0x"
                        + Long.toHexString(length) + " outside guest memory");
            }
            MemorySegment.copy(MemorySegment.ofBuffer(p), 0, guest, offset, length);
            if (digest != null) {
                digest.received(offset, guest.asSlice(offset, length));
            }
            total += length;
        }
    }


    /**
     * The source confirms COMMITTED arrived; until it does, the outcome is kept for its query. Not a failure if it
     * never comes: the destination has committed and runs the devices whatever the source saw.
     */
    private void awaitCommitSeen(final ControlInbox inbox, final long session) {
        try {
            inbox.expect(RecordKind.COMMIT_SEEN, options.timeout());
            outcomes.released(session);
        } catch (final IOException e) {
            System.getLogger(DestinationMigration.class.getName()).log(System.Logger.Level.WARNING, String.format(
                    "session %016x: committed, but the source did not confirm (%s); the outcome is kept for its "
                    + "query", session, e.getMessage()));
        }
    }

    /**
     * Sends ABORT with the reason before the session closes (issue 9 item 10), so the source reports why instead of
     * the broken pipe its next write meets. Best effort: the control connection may be what failed.
     */
    private static void tellSource(final RecordWriter control, final String why) {
        try {
            control.write(RecordKind.ABORT, -1, WireText.of(why));
        } catch (final IOException e) {
            // The source then learns of the failure from the closed connection alone.
        }
    }

    private static void refuse(final RecordWriter control, final String why) {
        try {
            control.write(RecordKind.HELLO_REPLY, -1, HelloReply.refuse(why).encode());
        } catch (final IOException e) {
            // The source learns of the refusal from the closed connection instead.
        }
    }
}
