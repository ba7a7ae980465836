package dev.tern.migration;

import dev.tern.migration.channel.OutcomeQueries;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The destination's memory of what became of its sessions at the commit point (issue 9 item 13), so that a source
 * whose connection died after COMMIT left it can ask, and exactly one side runs the devices.
 * <pre>
 *  LOADED sent          -&gt; AWAITING   (fence: aborts the session)
 *  AWAITING --COMMIT--&gt;    COMMITTED  (the destination runs the devices)
 *  AWAITING --failure--&gt;   ROLLED_BACK
 *  AWAITING --query--&gt;     ROLLED_BACK (the query decides: the session is fenced, a COMMIT arriving later is refused)
 *  COMMIT_SEEN          -&gt; forgotten  (the source knows; nobody will ask)
 * </pre>
 * The decision is one compare-and-set under this object's lock, so a query and a COMMIT racing each other cannot
 * both win. Bounded: at most {@code capacity} sessions, each kept {@code maxAge} after it was decided; the oldest
 * go first.
 */
public final class OutcomeStore implements OutcomeQueries {
    private static final System.Logger LOG = System.getLogger(OutcomeStore.class.getName());

    /** Where one session stands. */
    private enum State { AWAITING, COMMITTED, ROLLED_BACK }

    private static final class Entry {
        State state = State.AWAITING;
        long decidedAt;
        boolean asked;
        final Runnable fence;
        final CountDownLatch settled = new CountDownLatch(1);

        Entry(final Runnable fence) {
            this.fence = fence;
        }
    }

    private final int capacity;
    private final long maxAgeNanos;
    private final MigrationClock clock;
    private final Duration settleWait;
    private final Map<Long, Entry> sessions = new LinkedHashMap<>();

    /**
     * A store that remembers the outcome of recent sessions, so a source that lost the connection after COMMIT can ask
     * what happened.
     *
     * @param capacity   sessions kept at most
     * @param maxAge     how long a decided outcome is kept
     * @param settleWait how long a query that fences a session waits for its rollback (devices reset) to finish
     * @param clock      nanosecond clock
     */
    public OutcomeStore(final int capacity, final Duration maxAge, final Duration settleWait,
            final MigrationClock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
        this.maxAgeNanos = maxAge.toNanos();
        this.settleWait = settleWait;
        this.clock = clock;
    }

    /**
     * 64 sessions, kept 10 minutes, a fenced rollback awaited 10 s.
     *
     * @return the store the CLI uses
     */
    public static OutcomeStore standard() {
        return new OutcomeStore(64, Duration.ofMinutes(10), Duration.ofSeconds(10), MigrationClock.SYSTEM);
    }

    /** The destination has sent LOADED: the source may now commit, and from now on may need to ask. */
    synchronized void awaiting(final long session, final Runnable fence) {
        evict();
        sessions.put(session, new Entry(fence));
        while (sessions.size() > capacity) {
            final Iterator<Entry> oldest = sessions.values().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    /**
     * The destination is about to run the devices.
     *
     * @return false if the session was already decided otherwise (a query fenced it): the destination must not run
     */
    synchronized boolean commit(final long session) {
        final Entry e = sessions.get(session);
        if (e == null || e.state != State.AWAITING) {
            return false;
        }
        decide(e, State.COMMITTED);
        e.settled.countDown();
        return true;
    }

    /** The destination failed before committing and has reset its devices. */
    void rolledBack(final long session) {
        final Entry e;
        synchronized (this) {
            e = sessions.get(session);
            if (e == null) {
                return;
            }
            if (e.state == State.AWAITING) {
                decide(e, State.ROLLED_BACK);
            }
        }
        e.settled.countDown();
    }

    /** The source has seen COMMITTED: nobody will ask about this session. */
    synchronized void released(final long session) {
        sessions.remove(session);
    }

    /**
     * {@return true while the source of {@code session} may still ask: decided or not, neither released by
     * COMMIT_SEEN nor asked since}
     *
     * @param session the session id
     */
    public synchronized boolean mayBeAsked(final long session) {
        evict();
        final Entry e = sessions.get(session);
        return e != null && !e.asked;
    }

    /**
     * Decides (if still open) and returns what became of {@code session}; an open session is fenced and rolled back,
     * and the answer waits (bounded) for its rollback to finish.
     *
     * @param session the session id
     * @return committed, rolled back, or unknown (never seen or evicted)
     */
    public CommitOutcome resolve(final long session) {
        final Entry e;
        final boolean fenced;
        synchronized (this) {
            evict();
            e = sessions.get(session);
            if (e == null) {
                return CommitOutcome.UNKNOWN;
            }
            e.asked = true;
            fenced = e.state == State.AWAITING;
            if (fenced) {
                decide(e, State.ROLLED_BACK);
            }
        }
        if (fenced) {
            LOG.log(System.Logger.Level.WARNING, String.format("session %016x: an outcome query came before the "
                    + "COMMIT; the session is rolled back", session));
            e.fence.run();
            try {
                e.settled.await(settleWait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (final InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        return e.state == State.COMMITTED ? CommitOutcome.COMMITTED : CommitOutcome.ROLLED_BACK;
    }

    @Override
    public String answer(final long sessionId, final RecordWriter reply) throws IOException {
        final CommitOutcome o = resolve(sessionId);
        reply.write(RecordKind.OUTCOME, -1, o.encode(String.format("session %016x: %s", sessionId, o.meaning())));
        return o.name();
    }

    private void decide(final Entry e, final State state) {
        e.state = state;
        e.decidedAt = clock.nanos();
    }

    private void evict() {
        final long now = clock.nanos();
        sessions.values().removeIf(e -> e.state != State.AWAITING && now - e.decidedAt > maxAgeNanos);
    }
}
