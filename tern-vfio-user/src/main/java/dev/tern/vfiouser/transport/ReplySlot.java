package dev.tern.vfiouser.transport;

import java.util.concurrent.locks.LockSupport;

/**
 * A caller's reusable wait for the reply to one command at a time (issue 12: no {@code CompletableFuture} and map
 * node per command). The caller registers it under its command's {@code msg_id} ({@link ReplyRouter#expect(int,
 * ReplySlot)}), sends, and waits until {@link #isDone()}; whoever reads the socket hands it the reply: received in
 * place ({@link #takeInPlace}, which copies out what it needs before the next receive), framed ({@link #framed()}),
 * or a failure ({@link #failure()}). The reading thread wakes the caller if it is another thread.
 * <p>
 * States: armed by {@link ReplyRouter#expect(int, ReplySlot)}, then done exactly once, by the thread that removed it
 * from the router (so a caller that gave up and withdrew it is never written to afterwards).
 */
public abstract class ReplySlot {
    private volatile boolean done;
    private volatile int msgId;
    private Thread owner;
    private Incoming.Message framed;
    private String failure;

    /** A slot, not armed. */
    protected ReplySlot() {
    }

    /**
     * Takes a reply received in place, on the reading thread; valid only during this call.
     *
     * @param reply the reply (its {@code msg_id} is this slot's)
     */
    protected abstract void takeInPlace(Incoming.InPlace reply);

    /** {@return whether the reply (or a failure) was handed over} */
    public final boolean isDone() {
        return done;
    }

    /** {@return the reply if it came framed (the caller decodes it and owns its fds), else null} */
    public final Incoming.Message framed() {
        return framed;
    }

    /** {@return why no reply can come (the connection closed, the reply was refused), else null} */
    public final String failure() {
        return failure;
    }

    final int msgId() {
        return msgId;
    }

    /** Prepares a new wait by the calling thread, before the slot is published to the router. */
    final void arm(final int id) {
        owner = Thread.currentThread();
        framed = null;
        failure = null;
        done = false;
        msgId = id;
    }

    final void complete(final Incoming.InPlace reply) {
        takeInPlace(reply);
        finish();
    }

    final void complete(final Incoming.Message reply) {
        framed = reply;
        finish();
    }

    final void fail(final String reason) {
        failure = reason;
        finish();
    }

    private void finish() {
        done = true;
        if (owner != Thread.currentThread()) {
            LockSupport.unpark(owner);
        }
    }
}
