package dev.tern.protocol;

import static dev.tern.protocol.MigrationState.PRE_COPY;
import static dev.tern.protocol.MigrationState.PRE_COPY_P2P;
import static dev.tern.protocol.MigrationState.RESUMING;
import static dev.tern.protocol.MigrationState.RUNNING;
import static dev.tern.protocol.MigrationState.RUNNING_P2P;
import static dev.tern.protocol.MigrationState.STOP;
import static dev.tern.protocol.MigrationState.STOP_COPY;

/**
 * The single-step arcs a v2 migration driver implements, with the action each implies (uAPI comment in
 * {@code include/uapi/linux/vfio.h}, "FSM arcs"). Combination transitions are walked as sequences of these.
 * Which arcs a device sees depends on its flags: without P2P it sees RUNNING↔STOP directly, without P2P but
 * with PRE_COPY it sees PRE_COPY→STOP_COPY directly.
 */
public enum Arc {
    /**
     * RUNNING → STOP: the device stops (no DMA, no interrupts, no change to external state) and freezes its internal
     * state; it still answers config space and MSI-X accesses.
     */
    RUNNING_TO_STOP(RUNNING, STOP, "stop", "stop the device: no DMA, no interrupts, freeze internal state",
            DataSession.NONE),
    /** RUNNING_P2P → STOP: as {@link #RUNNING_TO_STOP}, from the P2P-quiesced state. */
    RUNNING_P2P_TO_STOP(RUNNING_P2P, STOP, "stop", "stop the device: no DMA, no interrupts, freeze internal state",
            DataSession.NONE),
    /** STOP_COPY → STOP: ends the saving data session; the device stays stopped, so the source can still resume it. */
    STOP_COPY_TO_STOP(STOP_COPY, STOP, "end-stop-copy", "end the saving stream; stay stopped",
            DataSession.ENDS_SAVING),
    /**
     * RESUMING → STOP: ends the resuming session; the driver validates and applies everything written, or fails the arc
     * with nothing applied (the uAPI allows ERROR then).
     */
    RESUMING_TO_STOP(RESUMING, STOP, "load", "validate and apply the written state; stay stopped",
            DataSession.ENDS_RESUMING),
    /** STOP → RUNNING: the device resumes full operation. */
    STOP_TO_RUNNING(STOP, RUNNING, "run", "unfreeze the device: full operation", DataSession.NONE),
    /** RUNNING_P2P → RUNNING: the device may initiate peer-to-peer DMA again. */
    RUNNING_P2P_TO_RUNNING(RUNNING_P2P, RUNNING, "p2p-unquiesce", "resume initiating peer-to-peer DMA",
            DataSession.NONE),
    /** PRE_COPY → RUNNING: ends the saving session (pre-copy abandoned) and stops tracking changes. */
    PRE_COPY_TO_RUNNING(PRE_COPY, RUNNING, "end-pre-copy", "end the saving stream and stop tracking changes",
            DataSession.ENDS_SAVING),
    /**
     * RUNNING → RUNNING_P2P: the device keeps running but initiates no new peer-to-peer DMA and completes what is
     * outstanding, so every device can be quiesced before any stops.
     */
    RUNNING_TO_RUNNING_P2P(RUNNING, RUNNING_P2P, "p2p-quiesce",
            "stop initiating peer-to-peer DMA; finish outstanding P2P DMA", DataSession.NONE),
    /**
     * STOP → RUNNING_P2P: the device runs again except for peer-to-peer DMA (the destination's step before RUNNING).
     */
    STOP_TO_RUNNING_P2P(STOP, RUNNING_P2P, "run-p2p-quiesced",
            "unfreeze the device but initiate no peer-to-peer DMA", DataSession.NONE),
    /** PRE_COPY_P2P → RUNNING_P2P: ends the saving session and stops tracking changes; P2P stays quiesced. */
    PRE_COPY_P2P_TO_RUNNING_P2P(PRE_COPY_P2P, RUNNING_P2P, "end-pre-copy",
            "end the saving stream and stop tracking changes; P2P stays quiesced", DataSession.ENDS_SAVING),
    /**
     * RUNNING → PRE_COPY: opens a saving session (a new data fd) while the device keeps running and tracks what
     * changes.
     */
    RUNNING_TO_PRE_COPY(RUNNING, PRE_COPY, "start-pre-copy",
            "open a saving stream and track internal changes; operation unchanged", DataSession.OPENS_SAVING),
    /** RUNNING_P2P → PRE_COPY_P2P: as {@link #RUNNING_TO_PRE_COPY}, with P2P quiesced. */
    RUNNING_P2P_TO_PRE_COPY_P2P(RUNNING_P2P, PRE_COPY_P2P, "start-pre-copy",
            "open a saving stream and track internal changes; P2P stays quiesced", DataSession.OPENS_SAVING),
    /** STOP → STOP_COPY: opens a saving session (a new data fd) carrying the whole frozen state. */
    STOP_TO_STOP_COPY(STOP, STOP_COPY, "start-stop-copy", "open a saving stream with the whole frozen state",
            DataSession.OPENS_SAVING),
    /** PRE_COPY → PRE_COPY_P2P: P2P quiesces; the saving session continues on the same data fd. */
    PRE_COPY_TO_PRE_COPY_P2P(PRE_COPY, PRE_COPY_P2P, "p2p-quiesce",
            "stop initiating peer-to-peer DMA; the saving stream continues", DataSession.CONTINUES_SAVING),
    /** PRE_COPY_P2P → PRE_COPY: P2P resumes; the saving session continues on the same data fd. */
    PRE_COPY_P2P_TO_PRE_COPY(PRE_COPY_P2P, PRE_COPY, "p2p-unquiesce",
            "resume initiating peer-to-peer DMA; the saving stream continues", DataSession.CONTINUES_SAVING),
    /** PRE_COPY_P2P → STOP_COPY: the device stops; the same data fd continues with the final state. */
    PRE_COPY_P2P_TO_STOP_COPY(PRE_COPY_P2P, STOP_COPY, "stop-and-copy",
            "stop the device; the stream continues with the final state", DataSession.CONTINUES_SAVING),
    /**
     * PRE_COPY → STOP_COPY: the device stops without a P2P step (a device without P2P); the data fd continues with the
     * final state.
     */
    PRE_COPY_TO_STOP_COPY(PRE_COPY, STOP_COPY, "stop-and-copy",
            "stop the device (no P2P step); the stream continues with the final state", DataSession.CONTINUES_SAVING),
    /**
     * STOP → RESUMING: opens a resuming session (a new data fd) to write incoming state into; the device may reset its
     * internal state.
     */
    STOP_TO_RESUMING(STOP, RESUMING, "start-resuming", "open a sink for incoming state; may reset internal state",
            DataSession.OPENS_RESUMING);

    private static final Arc[] BY_PAIR = new Arc[MigrationState.COUNT * MigrationState.COUNT];

    static {
        for (final Arc a : values()) {
            BY_PAIR[a.from.ordinal() * MigrationState.COUNT + a.to.ordinal()] = a;
        }
    }

    private final MigrationState from;
    private final MigrationState to;
    private final String action;
    private final String meaning;
    private final DataSession session;

    Arc(final MigrationState from, final MigrationState to, final String action, final String meaning,
            final DataSession session) {
        this.from = from;
        this.to = to;
        this.action = action;
        this.meaning = meaning;
        this.session = session;
    }

    /** {@return the state the arc leaves} */
    public MigrationState from() {
        return from;
    }

    /** {@return the state the arc reaches} */
    public MigrationState to() {
        return to;
    }

    /** {@return a short name for the driver action ({@code p2p-quiesce}, {@code load}, …)} */
    public String action() {
        return action;
    }

    /** {@return what the driver must do on this arc, in one line} */
    public String meaning() {
        return meaning;
    }

    /** {@return the arc's effect on the migration data stream} */
    public DataSession session() {
        return session;
    }

    /**
     * {@return the arc from {@code from} to {@code to}, or {@code null} if the uAPI defines no such single step}
     *
     * @param from the state the arc leaves
     * @param to the state the arc reaches
     */
    public static Arc between(final MigrationState from, final MigrationState to) {
        return BY_PAIR[from.ordinal() * MigrationState.COUNT + to.ordinal()];
    }

    /** @return {@code FROM -> TO} */
    @Override
    public String toString() {
        return from + " -> " + to;
    }
}
