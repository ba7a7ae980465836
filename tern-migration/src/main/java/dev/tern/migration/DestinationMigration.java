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
import dev.tern.protocol.MigrationState;
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
    private Consumer<MigrationEvent> events = e -> { };
    private OutcomeStore outcomes = OutcomeStore.standard();

    /**
     * The receiving side of one migration, pairing devices with the source's by position.
     *
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

    /**
     * Called as each phase begins (tests inject faults here).
     *
     * @param listener receives each phase
     */
    public void onPhase(final Consumer<Phase> listener) {
        this.phaseListener = listener;
    }

    /**
     * Receives this side's events as they happen, in the source's vocabulary ({@link EventLog}): MIGRATION setup,
     * active, device, completed or failed, and VFIO_MIGRATION with each device's state as read back (resuming, stop,
     * running-p2p, running).
     *
     * @param listener receives each event
     */
    public void onEvent(final Consumer<MigrationEvent> listener) {
        this.events = listener;
    }

    /**
     * Where this destination remembers what became of its sessions at the commit point (issue 9 item 13); give the
     * same store to the listener ({@code answerQueries}) so a source in doubt can ask.
     *
     * @param store the store
     */
    public void outcomes(final OutcomeStore store) {
        this.outcomes = store;
    }

    /**
     * Receives one migration over an accepted session (and closes it).
     *
     * @param session the accepted connections
     * @return what was received and how long it took
     * @throws MigrationFailedException if it did not complete; the destination's devices are then reset
     */
    public Result receive(final Session session) throws MigrationFailedException {
        try (DestinationRun run = new DestinationRun(this, session)) {
            try {
                for (Phase next = Phase.HANDSHAKE; next != null; next = run.step()) {
                    run.transition(next);
                }
                return run.result();
            } catch (final Exception e) {
                throw run.fail(e);
            }
        }
    }

    // What a run (DestinationRun) reads of its migration.

    List<MigratingDevice> devices() {
        return devices;
    }

    GuestMemory memory() {
        return memory;
    }

    MigrationOptions options() {
        return options;
    }

    Timeline timeline() {
        return timeline;
    }

    OutcomeStore outcomeStore() {
        return outcomes;
    }

    Consumer<MigrationEvent> events() {
        return events;
    }

    void enter(final Phase phase) {
        phaseListener.accept(phase);
    }

    /** @return per device: it offers a state checksum */
    static boolean[] checksumOffers(final List<MigratingDevice> devices) {
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
    static MigrationStream openResuming(final MigratingDevice d) throws DeviceException, IOException {
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
    static String resetAll(final List<MigratingDevice> devices) {
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

    /** Loads one device's stream into its RESUMING session; acknowledges its initial data; checks its end. */
    static long receiveDevice(final RecordReader reader, final int i, final MigrationStream sink,
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
    static long receiveMemory(final RecordReader reader, final GuestMemory memory, final MemoryDigest digest)
            throws IOException {
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
     * Sends ABORT with the reason before the session closes (issue 9 item 10), so the source reports why instead of
     * the broken pipe its next write meets. Best effort: the control connection may be what failed.
     */
    static void tellSource(final RecordWriter control, final String why) {
        try {
            control.write(RecordKind.ABORT, -1, WireText.of(why));
        } catch (final IOException e) {
            // The source then learns of the failure from the closed connection alone.
        }
    }

    static void refuse(final RecordWriter control, final String why) {
        try {
            control.write(RecordKind.HELLO_REPLY, -1, HelloReply.refuse(why).encode());
        } catch (final IOException e) {
            // The source learns of the refusal from the closed connection instead.
        }
    }
}
