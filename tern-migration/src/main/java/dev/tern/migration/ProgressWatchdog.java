package dev.tern.migration;

import dev.tern.migration.channel.Connection;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.RecordKind;
import java.time.Duration;

/**
 * Ends a migration whose peer went silent without closing anything (a hung process, a dropped route): blocking
 * socket reads and writes have no timeout of their own, so this watches the bytes read on every connection of the
 * session and aborts the session once none has arrived for the timeout. The blocked calls then fail, and the usual
 * recovery runs. It also keeps this side visibly alive: a heartbeat goes out whenever this side has been quiet for a
 * while ({@link Liveness} holds the rule; this class only runs it on a thread).
 */
final class ProgressWatchdog implements AutoCloseable {

    /** How long the peer is given to receive the reason before the session is dropped. */
    private static final Duration LAST_WORDS_WAIT = Duration.ofMillis(200);

    private final Session session;
    private final long timeoutNanos;
    private final long heartbeatNanos;
    private final MigrationClock clock;
    private final java.util.concurrent.atomic.AtomicBoolean beating = new java.util.concurrent.atomic.AtomicBoolean();
    private final String peer;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean fired;

    /**
     * @param session the session to watch
     * @param options the timeout (how long nothing may arrive) and the heartbeat interval
     * @param peer    what the peer is ("source", "destination"), for the reason sent to it
     * @param clock   the migration's clock
     */
    ProgressWatchdog(final Session session, final MigrationOptions options, final String peer,
            final MigrationClock clock) {
        this.session = session;
        this.timeoutNanos = options.timeout().toNanos();
        this.heartbeatNanos = options.heartbeat().toNanos();
        this.clock = clock;
        this.peer = peer;
        this.thread = Thread.ofPlatform().daemon().name("tern-watchdog").start(this::watch);
    }

    private void watch() {
        final Liveness liveness = new Liveness(timeoutNanos, heartbeatNanos, clock.nanos());
        while (!closed) {
            try {
                Thread.sleep(Math.max(5, Math.min(250, Math.min(timeoutNanos / 8, liveness.heartbeatNanos() / 2) / 1_000_000)));
            } catch (final InterruptedException e) {
                return;
            }
            switch (liveness.tick(clock.nanos(), read(), written())) {
                case NONE -> { }
                case HEARTBEAT -> heartbeat();
                case GIVE_UP -> {
                    if (!closed) {
                        fired = true;
                        tellPeer();
                        session.abort();
                    }
                    return;
                }
            }
        }
    }

    /**
     * Sends a heartbeat on its own virtual thread, one at a time: the control writer's lock may be held by a write
     * that is stuck, and this thread must stay free to give up.
     */
    private void heartbeat() {
        if (beating.compareAndSet(false, true)) {
            Thread.ofVirtual().start(() -> {
                try {
                    session.control().writer().write(RecordKind.HEARTBEAT, -1);
                } catch (final java.io.IOException e) {
                    // the session's own reads and writes report the failure
                } finally {
                    beating.set(false);
                }
            });
        }
    }

    /**
     * Sends ABORT with the reason first (issue 9 item 10), so the peer reports this timeout rather than a reset. On
     * its own thread and bounded: the control connection may be the one that is stuck.
     */
    private void tellPeer() {
        final Thread words = Thread.ofVirtual().start(() -> {
            try {
                session.control().writer().write(RecordKind.ABORT, -1, WireText.of("no progress from the " + peer
                        + " for " + timeoutNanos / 1_000_000 + " ms; giving up the migration"));
            } catch (final java.io.IOException e) {
                // the peer learns from the dropped connection instead
            }
        });
        try {
            words.join(LAST_WORDS_WAIT);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long read() {
        long total = session.control().reader().bytesRead();
        for (final Connection c : session.data()) {
            total += c.reader().bytesRead();
        }
        return total;
    }

    private long written() {
        long total = session.control().writer().bytesWritten();
        for (final Connection c : session.data()) {
            total += c.writer().bytesWritten();
        }
        return total;
    }

    /** @return true if it aborted the session */
    boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
