package dev.tern.migration;

import dev.tern.migration.channel.Session;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.migration.wire.RecordKind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The source's side of the commit point (issue 9 item 13): COMMIT has left, and the source must learn whether the
 * destination runs the devices before it does anything with its own.
 *
 * @param address  where the destination listens, to ask again on a new connection
 * @param tls      TLS as for the migration
 * @param secret   the session secret as for the migration
 * @param timeout  bound on waiting for COMMITTED, and then on asking
 * @param progress one line per step, for a terminal
 * @param clock    the migration's clock, for the question's deadlines
 */
record CommitPoint(InetSocketAddress address, Optional<TlsConfig> tls, Optional<SessionSecret> secret,
        Duration timeout, Consumer<String> progress, MigrationClock clock) {

    /**
     * Waits for COMMITTED; if the connection fails first without the destination's ABORT, the source is in doubt
     * and asks the destination, which remembers the outcome ({@link OutcomeStore}): committed, and this returns as
     * if COMMITTED had arrived; rolled back, and this throws {@link CommitResolver.RolledBack} so the source recovers;
     * no answer within the timeout, and the failure stands (the source stays stopped, in doubt). Once COMMITTED has
     * arrived the source says so (COMMIT_SEEN), so the destination need not keep the outcome for a question.
     */
    void awaitCommitted(final ControlInbox inbox, final Session session) throws IOException {
        try {
            inbox.expect(RecordKind.COMMITTED, timeout);
        } catch (final IOException e) {
            if (SourceMigration.theirReason(e, inbox).isPresent()) {
                throw e;
            }
            session.abort();
            progress.accept(String.format("connection lost after COMMIT (%s); asking the destination what became of "
                    + "session %016x", e.getMessage(), session.id()));
            resolve(session.id(), e);
            return;
        }
        try {
            session.control().writer().write(RecordKind.COMMIT_SEEN, -1);
        } catch (final IOException e) {
            // The destination then keeps the outcome for a question that will not come, until it ages out.
        }
    }

    private void resolve(final long session, final IOException lost) throws IOException {
        final CommitResolver.Answer answer = CommitResolver.ask(address, session, tls, secret, timeout, clock);
        switch (answer.outcome().orElse(CommitOutcome.UNKNOWN)) {
            case COMMITTED -> progress.accept(String.format("session %016x: the destination confirms the commit "
                    + "(doubt resolved): it runs the devices; the source stays stopped", session));
            case ROLLED_BACK -> throw new CommitResolver.RolledBack(String.format("the connection failed after "
                    + "COMMIT and the destination answered that session %016x is rolled back", session));
            case UNKNOWN -> throw new IOException(lost.getMessage() + "; " + (answer.outcome().isEmpty()
                    ? "no answer to " + answer.attempts() + " outcome queries (" + answer.lastError() + ")"
                    : "the destination does not know the session"), lost);
        }
    }
}
