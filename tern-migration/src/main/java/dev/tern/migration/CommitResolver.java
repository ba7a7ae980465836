package dev.tern.migration;

import dev.tern.migration.channel.Connection;
import dev.tern.migration.channel.MigrationConnector;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * Asks a destination what became of a session after the commit point (issue 9 item 13): the source whose connection
 * died between COMMIT and COMMITTED, and {@code tern resolve}, use it. Each attempt is one QUERY connection
 * answered by one {@code OUTCOME} record; attempts are retried with a growing pause until the deadline, since the
 * destination may be restarting its listener or still noticing the failure.
 */
public final class CommitResolver {
    private static final long FIRST_PAUSE_MS = 100;
    private static final long MAX_PAUSE_MS = 1000;

    private CommitResolver() {
    }

    /** The destination answered that the session did not commit and never will: the source must run again. */
    public static final class RolledBack extends IOException {
        private static final long serialVersionUID = 1L;

        RolledBack(final String message) {
            super(message);
        }
    }

    /**
     * The answer, or why there is none.
     *
     * @param outcome  the destination's answer, empty if none came within the deadline
     * @param attempts connections tried
     * @param lastError the last attempt's failure, for the message when there is no answer
     */
    public record Answer(Optional<CommitOutcome> outcome, int attempts, String lastError) {
    }

    /**
     * {@return the destination's answer, or empty with the last error}
     *
     * @param to      where the destination listens
     * @param session the session id
     * @param tls     TLS as for the migration
     * @param secret  the session secret as for the migration
     * @param within  bound on all attempts together
     */
    public static Answer ask(final InetSocketAddress to, final long session, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret, final Duration within) {
        return ask(to, session, tls, secret, within, MigrationClock.SYSTEM);
    }

    /** As {@link #ask(InetSocketAddress, long, Optional, Optional, Duration)}, deadlines on {@code clock}. */
    static Answer ask(final InetSocketAddress to, final long session, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret, final Duration within, final MigrationClock clock) {
        final long deadline = clock.nanos() + within.toNanos();
        long pause = FIRST_PAUSE_MS;
        int attempts = 0;
        String last = "no attempt within " + within.toMillis() + " ms";
        while (clock.nanos() < deadline) {
            attempts++;
            try {
                return new Answer(Optional.of(once(to, session, tls, secret, deadline, clock)), attempts, "");
            } catch (final IOException e) {
                last = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
            final long leftMs = (deadline - clock.nanos()) / 1_000_000;
            if (leftMs <= 0) {
                break;
            }
            try {
                Thread.sleep(Math.min(pause, leftMs));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pause = Math.min(2 * pause, MAX_PAUSE_MS);
        }
        return new Answer(Optional.empty(), attempts, last);
    }

    private static CommitOutcome once(final InetSocketAddress to, final long session, final Optional<TlsConfig> tls,
            final Optional<SessionSecret> secret, final long deadline, final MigrationClock clock) throws IOException {
        final Duration left = Duration.ofNanos(Math.max(1, deadline - clock.nanos()));
        final Connection c = MigrationConnector.query(to, session, tls, secret, left);
        // The record read has no timeout of its own: drop the connection at the deadline.
        final Thread timer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(Math.max(1, (deadline - clock.nanos()) / 1_000_000));
                c.abort();
            } catch (final InterruptedException e) {
                // answered in time
            }
        });
        try {
            final Record r = c.reader().read();
            if (r.kind() != RecordKind.OUTCOME) {
                throw new IOException("expected OUTCOME to the query, got " + r.kind());
            }
            return CommitOutcome.decode(r.payload()).orElseThrow(() -> new IOException("malformed OUTCOME"));
        } finally {
            timer.interrupt();
            c.close();
        }
    }
}
