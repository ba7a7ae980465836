package dev.tern.cli;

import dev.tern.migration.OutcomeStore;
import dev.tern.migration.channel.MigrationListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * While a receive's session runs, and for up to {@code linger} after it ends, the listener answers outcome queries
 * (issue 9 item 13): a source whose connection died between COMMIT and COMMITTED asks which side runs the devices.
 * The receive lingers only while its source may still ask: after LOADED, without COMMIT_SEEN and without a query.
 */
final class OutcomeLinger implements AutoCloseable {
    private final OutcomeStore outcomes;
    private final long session;
    private final Duration linger;
    private final Thread thread;
    private volatile boolean over;
    private volatile long until = Long.MAX_VALUE;

    private OutcomeLinger(final MigrationListener listener, final OutcomeStore outcomes, final long session,
            final Duration linger) {
        this.outcomes = outcomes;
        this.session = session;
        this.linger = linger;
        this.thread = Thread.ofPlatform().daemon().name("tern-outcome-queries").start(() -> {
            try {
                // Bounded by the receive's own timeouts plus the linger; the listener's close ends it too.
                listener.serveQueries(Duration.ofDays(1), () -> over && (!outcomes.mayBeAsked(session)
                        || System.nanoTime() > until));
            } catch (final IOException e) {
                // the listener closed: nobody can ask any more
            }
        });
    }

    static OutcomeLinger start(final MigrationListener listener, final OutcomeStore outcomes, final long session,
            final Duration linger) {
        return new OutcomeLinger(listener, outcomes, session, linger);
    }

    /** The session is over: waits (at most the linger) until its source has asked, if it still may. */
    void awaitQuery(final PrintWriter err) {
        until = System.nanoTime() + linger.toNanos();
        if (outcomes.mayBeAsked(session)) {
            err.println(String.format("tern: session %016x: the source has not confirmed the outcome; answering its "
                    + "query for up to %d s", session, linger.toSeconds()));
            err.flush();
        }
        over = true;
        try {
            thread.join(linger.plusSeconds(1));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        over = true;
        until = 0;
    }
}
