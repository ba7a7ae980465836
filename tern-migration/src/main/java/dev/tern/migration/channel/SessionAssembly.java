package dev.tern.migration.channel;

import dev.tern.migration.wire.Preamble;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Matching arriving connections into one session, for {@link MigrationListener#accept}: the first control
 * connection fixes the session id and the number of data connections; data connections with that id and a free
 * device index fill the slots. Data connections that arrive before any control connection wait (a bounded number);
 * everything else is rejected and closed, and the reason kept for the timeout message.
 */
final class SessionAssembly {
    /** Data connections kept while no control connection has arrived. */
    static final int MAX_EARLY = 64;
    private static final int MAX_REASONS = 8;
    private static final System.Logger LOG = System.getLogger(MigrationListener.class.getName());

    /** What became of one accepted socket: its preamble was read, or it failed before. */
    sealed interface Handshake permits Arrival, Refusal, Answered {
    }

    /**
     * A QUERY connection that was answered and closed; not part of any session.
     *
     * @param peer the remote end
     * @param what the question and the answer, one line
     */
    record Answered(String peer, String what) implements Handshake {
    }

    /**
     * A connection whose preamble has been read.
     *
     * @param connection the connection, past its preamble
     * @param preamble   what it says it is
     */
    record Arrival(Connection connection, Preamble preamble) implements Handshake {
    }

    /**
     * A socket that failed before its preamble was read (TLS refused, garbage, silence); already closed.
     *
     * @param peer   the remote end
     * @param reason why, one line
     */
    record Refusal(String peer, String reason) implements Handshake {
    }

    private Arrival control;
    private Connection[] slots;
    private int filled;
    private final List<Arrival> early = new ArrayList<>();
    private final List<String> rejections = new ArrayList<>();
    private int rejected;

    /**
     * Takes in what one handshake produced.
     *
     * @param handshake an arrival to adopt or reject (and close), or a refusal to note
     */
    void offer(final Handshake handshake) {
        switch (handshake) {
            case Arrival a -> offer(a);
            case Refusal r -> note(r.peer(), r.reason());
            case Answered a -> LOG.log(System.Logger.Level.INFO, "{0} from {1}", a.what(), a.peer());
        }
    }

    private void offer(final Arrival arrival) {
        final Preamble p = arrival.preamble();
        switch (p.role()) {
            case CONTROL -> {
                if (control != null) {
                    reject(arrival, "a second control connection");
                    return;
                }
                control = arrival;
                slots = new Connection[p.dataConnections()];
                final List<Arrival> waiting = List.copyOf(early);
                early.clear();
                waiting.forEach(this::offer);
            }
            case QUERY -> reject(arrival, "an outcome query reached session assembly");
            case DATA -> {
                if (control == null) {
                    if (early.size() >= MAX_EARLY) {
                        reject(arrival, "too many data connections before a control connection");
                    } else {
                        early.add(arrival);
                    }
                    return;
                }
                final Preamble c = control.preamble();
                if (p.sessionId() != c.sessionId()) {
                    reject(arrival, String.format("session %016x is not the session being formed (%016x)",
                            p.sessionId(), c.sessionId()));
                } else if (p.dataConnections() != c.dataConnections()) {
                    reject(arrival, "says " + p.dataConnections() + " data connections, control says "
                            + c.dataConnections());
                } else if (slots[p.deviceId()] != null) {
                    reject(arrival, "device index " + p.deviceId() + " is taken");
                } else {
                    slots[p.deviceId()] = arrival.connection();
                    filled++;
                }
            }
        }
    }

    /**
     * @return whether the control connection and all its data connections are here
     */
    boolean complete() {
        return control != null && filled == slots.length;
    }

    /**
     * @return the formed session; only when {@link #complete()}
     */
    Session session() {
        return new Session(control.preamble().sessionId(), control.connection(), Arrays.asList(slots));
    }

    /** Closes everything adopted or waiting: the session did not form. */
    void closeAll() {
        if (control != null) {
            closeQuietly(control.connection());
            for (final Connection c : slots) {
                closeQuietly(c);
            }
        }
        early.forEach(a -> closeQuietly(a.connection()));
        early.clear();
    }

    /**
     * @return where assembly stands, for a timeout message
     */
    String progress() {
        final String state = control == null
                ? "no control connection arrived" + (early.isEmpty() ? "" : " (" + early.size() + " data waiting)")
                : String.format("session %016x has %d of %d data connections", control.preamble().sessionId(),
                        filled, slots.length);
        return rejected == 0 ? state
                : state + "; rejected " + rejected + ": " + String.join("; ", rejections);
    }

    private void reject(final Arrival arrival, final String reason) {
        closeQuietly(arrival.connection());
        note(arrival.connection().peer(), reason);
    }

    private void note(final String peer, final String reason) {
        rejected++;
        if (rejections.size() < MAX_REASONS) {
            rejections.add(peer + " " + reason);
        }
        LOG.log(System.Logger.Level.WARNING, "rejected migration connection from {0}: {1}", peer, reason);
    }

    static void closeQuietly(final Connection c) {
        if (c == null) {
            return;
        }
        c.close();
    }
}
