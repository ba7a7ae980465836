package dev.tern.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * The v2 migration FSM: one next-step table plus a short walker, deciding exactly as the kernel's
 * {@code vfio_mig_get_next_state()} ({@code drivers/vfio/vfio_main.c}) does.
 *
 * <p>The table gives, for a current and a requested state, the next state of the shortest path that uses no
 * saving-group state as an interior step, assuming every optional state exists. The walker skips states the
 * device lacks by looking up the row of the skipped state. One deliberate difference: the kernel's skip loop does
 * not stop at ERROR, so a blocked request (STOP_COPY→PRE_COPY on a PRE_COPY device without P2P… and with it)
 * spins forever holding the state mutex (fixed upstream in 2026, spec §2.5); Tern stops at ERROR and refuses.
 */
public final class MigrationFsm {

    /** Rows: current state; columns: requested state; both in uAPI order. Transcribed from vfio_main.c. */
    private static final String TABLE = """
            ERROR        ERROR ERROR       ERROR       ERROR        ERROR       ERROR       ERROR    ERROR
            STOP         ERROR STOP        RUNNING_P2P STOP_COPY    RESUMING    RUNNING_P2P RUNNING_P2P RUNNING_P2P
            RUNNING      ERROR RUNNING_P2P RUNNING     RUNNING_P2P  RUNNING_P2P RUNNING_P2P PRE_COPY RUNNING_P2P
            STOP_COPY    ERROR STOP        STOP        STOP_COPY    STOP        STOP        ERROR    ERROR
            RESUMING     ERROR STOP        STOP        STOP         RESUMING    STOP        STOP     STOP
            RUNNING_P2P  ERROR STOP        RUNNING     STOP         STOP        RUNNING_P2P RUNNING  PRE_COPY_P2P
            PRE_COPY     ERROR RUNNING     RUNNING     PRE_COPY_P2P RUNNING     RUNNING     PRE_COPY PRE_COPY_P2P
            PRE_COPY_P2P ERROR RUNNING_P2P RUNNING_P2P STOP_COPY    RUNNING_P2P RUNNING_P2P PRE_COPY PRE_COPY_P2P
            """;

    private static final int N = MigrationState.COUNT;
    private static final MigrationState[] STATES = MigrationState.values();
    /** TABLE parsed: NEXT[cur * N + requested]. */
    private static final MigrationState[] NEXT = parse(TABLE);
    /**
     * Every answer {@link #path} can give, walked once at class init: [flag set (bits >> 1)][cur * N + requested].
     * There are only 4 × 64 requests, so a lookup beats walking (and allocates nothing).
     */
    private static final Transition[][] PATHS = walkAll();

    private MigrationFsm() {
    }

    /**
     * The next state a driver must step to on the way from {@code current} to {@code target}.
     *
     * @param current the state the device is in
     * @param target the state requested
     * @param flags the device's migration flags, which decide the states that exist
     * @return the next state ({@code target} itself if one arc reaches it, {@code current} if they are equal), or
     *         {@link MigrationState#ERROR} if the request is refused (the kernel's {@code -EINVAL}); a legal step
     *         is never ERROR. Allocation-free.
     */
    public static MigrationState next(final MigrationState current, final MigrationState target,
            final MigrationFlags flags) {
        if (!flags.supports(current) || !flags.supports(target)) {
            return MigrationState.ERROR;
        }
        MigrationState next = NEXT[current.ordinal() * N + target.ordinal()];
        // Skip optional states the device lacks; ERROR is never supported, so stop there (spec §2.5).
        while (next != MigrationState.ERROR && !flags.supports(next)) {
            next = NEXT[next.ordinal() * N + target.ordinal()];
        }
        return next;
    }

    /**
     * The whole combination transition: the arcs a driver performs, one {@link #next} call each, or why the
     * kernel refuses the request.
     *
     * @param current the state the device is in
     * @param target the state requested
     * @param flags the device's migration flags
     * @return the arcs in order, or the refusal with its reason
     */
    public static Transition path(final MigrationState current, final MigrationState target,
            final MigrationFlags flags) {
        return PATHS[flags.bits() >> 1][current.ordinal() * N + target.ordinal()];
    }

    private static Transition walk(final MigrationState current, final MigrationState target,
            final MigrationFlags flags) {
        final String refusal = refusal(current, target, flags);
        if (refusal != null) {
            return new Transition.Refused(current, target, refusal);
        }
        final List<Arc> arcs = new ArrayList<>(4);
        MigrationState at = current;
        while (at != target) {
            final MigrationState step = next(at, target, flags);
            final Arc arc = Arc.between(at, step);
            if (arc == null || arcs.size() == N) {
                throw new IllegalStateException("FSM table defines no arc " + at + " -> " + step);
            }
            arcs.add(arc);
            at = step;
        }
        return new Transition.Path(current, target, List.copyOf(arcs));
    }

    /**
     * {@return the arcs a device with these flags must implement: every arc of every path between its states}
     *
     * @param flags the device's migration flags
     */
    public static List<Arc> arcs(final MigrationFlags flags) {
        final boolean[] used = new boolean[Arc.values().length];
        for (final MigrationState from : flags.states()) {
            for (final MigrationState to : flags.states()) {
                if (path(from, to, flags) instanceof Transition.Path p) {
                    p.arcs().forEach(a -> used[a.ordinal()] = true);
                }
            }
        }
        final List<Arc> arcs = new ArrayList<>();
        for (final Arc a : Arc.values()) {
            if (used[a.ordinal()]) {
                arcs.add(a);
            }
        }
        return arcs;
    }

    /**
     * {@return why the kernel refuses {@code current → target} for these flags, or {@code null} if it does not}
     *
     * @param current the state the device is in
     * @param target the state requested
     * @param flags the device's migration flags
     */
    public static String refusal(final MigrationState current, final MigrationState target,
            final MigrationFlags flags) {
        if (current == MigrationState.ERROR) {
            return "the device is in ERROR; only a device reset leaves it";
        }
        if (!flags.supports(current)) {
            return "current state " + current + " does not exist for a device with flags " + flags;
        }
        if (target == MigrationState.ERROR) {
            return "ERROR cannot be requested; a device only enters it when an arc fails";
        }
        if (!flags.supports(target)) {
            return target + " does not exist for a device with flags " + flags + " (it needs "
                    + new MigrationFlags(target.requiredFeatures()) + ")";
        }
        if (next(current, target, flags) == MigrationState.ERROR) {
            return "the uAPI forbids " + current + " -> " + target
                    + ": a saving session cannot return to pre-copy once stop-copy began";
        }
        return null;
    }

    private static Transition[][] walkAll() {
        final Transition[][] paths = new Transition[MigrationFlags.all().size()][N * N];
        for (final MigrationFlags flags : MigrationFlags.all()) {
            for (final MigrationState from : STATES) {
                for (final MigrationState to : STATES) {
                    paths[flags.bits() >> 1][from.ordinal() * N + to.ordinal()] = walk(from, to, flags);
                }
            }
        }
        return paths;
    }

    private static MigrationState[] parse(final String table) {
        final MigrationState[] next = new MigrationState[N * N];
        final String[] rows = table.strip().split("\n");
        if (rows.length != N) {
            throw new ExceptionInInitializerError("FSM table needs " + N + " rows");
        }
        for (int r = 0; r < N; r++) {
            final String[] cells = rows[r].strip().split("\\s+");
            if (cells.length != N + 1 || MigrationState.valueOf(cells[0]) != STATES[r]) {
                throw new ExceptionInInitializerError("FSM table row " + r + " is malformed");
            }
            for (int c = 0; c < N; c++) {
                next[r * N + c] = MigrationState.valueOf(cells[c + 1]);
            }
        }
        return next;
    }
}
