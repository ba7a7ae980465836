package dev.tern.migration;

import dev.tern.migration.channel.Connection;
import dev.tern.migration.channel.Session;
import dev.tern.migration.wire.RecordKind;
import java.time.Duration;

/**
 * Ends a migration whose peer went silent without closing anything (a hung process, a dropped route): blocking
 * socket reads and writes have no timeout of their own, so this watches the bytes moving on every connection of
 * the session and aborts the session once none has moved for the timeout. The blocked calls then fail, and the
 * usual recovery runs.
 */
final class ProgressWatchdog implements AutoCloseable {

    /** How long the peer is given to receive the reason before the session is dropped. */
    private static final Duration LAST_WORDS_WAIT = Duration.ofMillis(200);

    private final Session session;
    private final long timeoutNanos;
    private final String peer;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean fired;

    /**
     * @param session the session to watch
     * @param timeout how long nothing may move
     * @param peer    what the peer is ("source", "destination"), for the reason sent to it
     */
    ProgressWatchdog(final Session session, final Duration timeout, final String peer) {
        this.session = session;
        this.timeoutNanos = timeout.toNanos();
        this.peer = peer;
        this.thread = Thread.ofPlatform().daemon().name("tern-watchdog").start(this::watch);
    }

    private void watch() {
        long last = moved();
        long since = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(Math.max(10, Math.min(250, timeoutNanos / 4_000_000)));
            } catch (final InterruptedException e) {
                return;
            }
            final long now = moved();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > timeoutNanos && !closed) {
                fired = true;
                tellPeer();
                session.abort();
                return;
            }
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

    private long moved() {
        long total = bytes(session.control());
        for (final Connection c : session.data()) {
            total += bytes(c);
        }
        return total;
    }

    private static long bytes(final Connection c) {
        return c.writer().bytesWritten() + c.reader().bytesRead();
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
