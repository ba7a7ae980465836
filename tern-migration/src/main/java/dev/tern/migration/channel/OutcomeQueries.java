package dev.tern.migration.channel;

import dev.tern.migration.wire.RecordWriter;
import java.io.IOException;

/**
 * How a {@link MigrationListener} answers a QUERY connection (issue 9 item 13): what became of a session after its
 * commit point. The answer's format belongs to the migration layer; the channel only carries it.
 */
@FunctionalInterface
public interface OutcomeQueries {
    /** Knows no session: answers nothing and closes (the asker then cannot tell, and keeps waiting). */
    OutcomeQueries NONE = (session, reply) -> "not answered (no outcomes kept)";

    /**
     * Answers one query.
     *
     * @param sessionId the session asked about
     * @param reply     the query connection's writer: one {@code OUTCOME} record
     * @return the answer in a few words, for the log
     * @throws IOException if the reply cannot be written
     */
    String answer(long sessionId, RecordWriter reply) throws IOException;
}
