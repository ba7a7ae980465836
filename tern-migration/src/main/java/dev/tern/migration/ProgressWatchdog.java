package dev.tern.migration;

import dev.tern.migration.channel.Connection;
import dev.tern.migration.channel.Session;
import java.time.Duration;

/**
 * Ends a migration whose peer went silent without closing anything (a hung process, a dropped route): blocking
 * socket reads and writes have no timeout of their own, so this watches the bytes moving on every connection of
 * the session and aborts the session once none has moved for the timeout. The blocked calls then fail, and the
 * usual recovery runs.
 */
final class ProgressWatchdog implements AutoCloseable {

    private final Session session;
    private final long timeoutNanos;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean fired;

    ProgressWatchdog(final Session session, final Duration timeout) {
        this.session = session;
        this.timeoutNanos = timeout.toNanos();
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
                session.abort();
                return;
            }
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
