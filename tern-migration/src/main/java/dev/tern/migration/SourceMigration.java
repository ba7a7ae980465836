package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.migration.channel.Session;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
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
     * The sending side of one migration; nothing happens until {@link #migrate} is called.
     *
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

    /**
     * Called on the migrating thread as each phase begins (progress display; tests inject faults here).
     *
     * @param listener receives each phase
     */
    public void onPhase(final Consumer<Phase> listener) {
        this.phaseListener = listener;
    }

    /**
     * Receives one line per round and phase, for a terminal.
     *
     * @param listener receives each line
     */
    public void onProgress(final Consumer<String> listener) {
        this.progress = listener;
        rounds.onProgress(listener);
    }

    /**
     * Receives the migration's events as they happen ({@link EventLog} writes them for operators).
     *
     * @param listener receives each event
     */
    public void onEvent(final Consumer<MigrationEvent> listener) {
        this.events = listener;
        rounds.onEvent(listener);
    }

    /**
     * Aborts a running migration from another thread (e.g. Ctrl-C): its connections close, so {@link #migrate}
     * fails into its usual recovery — before the commit point the source runs again — and this waits for that.
     *
     * @param timeout the longest wait for the recovery
     * @return true if the migration finished (recovered, failed or completed) within {@code timeout}
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean abort(final java.time.Duration timeout) throws InterruptedException {
        aborted = true;
        final Session s = active;
        if (s != null) {
            s.abort();
        }
        return finished.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** {@return how the last {@link #migrate} failed, or null} */
    public MigrationFailedException failure() {
        return failure;
    }

    /**
     * Migrates everything to the destination listening at {@code to}.
     *
     * @param to the destination's listening address
     * @param tls the TLS configuration, or empty for plain TCP
     * @return what moved, the downtime and the verification
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
     *
     * @param to the destination's listening address
     * @param tls the TLS configuration, or empty for plain TCP
     * @param secret the receive's session secret, or empty
     * @return what moved, the downtime and the verification
     * @throws MigrationFailedException as {@link #migrate(InetSocketAddress, Optional)}
     */
    public MigrationReport migrate(final InetSocketAddress to, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret) throws MigrationFailedException {
        final SourceRun a = new SourceRun(this, to, tls, secret);
        try {
            for (Phase next = Phase.HANDSHAKE; next != null; next = a.step()) {
                a.transition(next);
            }
            return a.report();
        } catch (final Exception e) {
            failure = a.fail(e);
            throw failure;
        } finally {
            a.close();
            finished.countDown();
        }
    }

    /** @return the reason of the destination's ABORT, if the failure was the connection's and one came */
    static Optional<String> theirReason(final Exception e, final ControlInbox inbox) {
        return inbox == null || !(e instanceof IOException) ? Optional.empty() : inbox.peerReason(PEER_REASON_WAIT);
    }

    /** Stops every device's DMA logging; a failure changes nothing worth undoing. */
    static void stopLogging(final List<MigratingDevice> logging) {
        for (final MigratingDevice d : logging) {
            try {
                d.target().stopDirtyLogging();
            } catch (final DeviceException e) {
                // Logging state does not affect the device's own state; nothing to undo.
            }
        }
    }

    // What a run (SourceRun) reads of its migration.

    List<MigratingDevice> devices() {
        return devices;
    }

    GuestMemory memory() {
        return memory;
    }

    Guest guest() {
        return guest;
    }

    MigrationOptions options() {
        return options;
    }

    Timeline timeline() {
        return timeline;
    }

    SourceRounds rounds() {
        return rounds;
    }

    Consumer<String> progress() {
        return progress;
    }

    Consumer<MigrationEvent> events() {
        return events;
    }

    boolean aborted() {
        return aborted;
    }

    void active(final Session session) {
        this.active = session;
    }

    private static boolean committedPhase(final Phase phase) {
        return phase == Phase.CLEANUP;
    }

    /** Announces a phase (progress, listener) unless aborted before the commit point. */
    void enter(final Phase phase) throws IOException {
        if (aborted && !committedPhase(phase)) {
            throw new IOException("aborted");
        }
        progress.accept("phase " + phase);
        phaseListener.accept(phase);
    }
}
