package dev.tern.vfiouser.transport;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Routes replies to the commands one side sent, by {@code msg_id} (specification "Header": the reply echoes the
 * command's id; "unrelated messages sent from the server to the client can appear in between a client to server
 * request/reply and vice versa", "Command Concurrency"). The receiving thread calls {@link #complete}; the thread
 * that sent the command waits in {@link #await}.
 */
public final class ReplyRouter {
    /** No reply came within the timeout (the connection may still be fine; a late reply is dropped). */
    public static final class NoReplyException extends IOException {
        private static final long serialVersionUID = 1L;

        NoReplyException(final String message) {
            super(message);
        }
    }

    /** Slots by {@code msg_id} modulo their number: a caller whose index is taken waits with a future instead. */
    private static final int SLOTS = 64;

    private final Map<Integer, CompletableFuture<Incoming>> pending = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<ReplySlot> slots = new AtomicReferenceArray<>(SLOTS);
    private volatile String closedReason;

    /** A router awaiting no reply, open. */
    public ReplyRouter() {
    }

    /**
     * Registers interest in the reply to {@code msgId}; call before sending the command.
     *
     * @param msgId the command's id
     * @return the future the reply completes
     * @throws IOException if the connection is already closed
     */
    public CompletableFuture<Incoming> expect(final int msgId) throws IOException {
        final CompletableFuture<Incoming> f = new CompletableFuture<>();
        if (pending.putIfAbsent(msgId, f) != null) {
            throw new IllegalStateException("msg_id " + msgId + " is already in flight");
        }
        final String reason = closedReason;
        if (reason != null) {
            pending.remove(msgId);
            throw new IOException(reason);
        }
        return f;
    }

    /**
     * Registers {@code slot} for the reply to {@code msgId}, allocating nothing; call before sending the command.
     *
     * @param msgId the command's id
     * @param slot  the caller's slot, not registered for another command
     * @return false if another command's slot holds that place (then {@link #expect(int)} instead)
     * @throws IOException if the connection is already closed
     */
    public boolean expect(final int msgId, final ReplySlot slot) throws IOException {
        slot.arm(msgId);
        final int i = msgId & (SLOTS - 1);
        if (!slots.compareAndSet(i, null, slot)) {
            return false;
        }
        final String reason = closedReason;
        if (reason != null && slots.compareAndSet(i, slot, null)) {
            throw new IOException(reason);
        }
        return true;
    }

    /**
     * Withdraws a slot whose reply is no longer awaited (its command could not be sent, or the wait timed out).
     *
     * @param slot a registered slot
     * @return true if withdrawn before anything was handed over; false if a reading thread took it (it is
     *         {@link ReplySlot#isDone() done}, or about to be: the caller waits for that)
     */
    public boolean withdraw(final ReplySlot slot) {
        return slots.compareAndSet(slot.msgId() & (SLOTS - 1), slot, null);
    }

    /** @return the slot registered for {@code msgId}, removed from the router, or null */
    private ReplySlot takeSlot(final int msgId) {
        final int i = msgId & (SLOTS - 1);
        final ReplySlot s = slots.get(i);
        return s != null && s.msgId() == msgId && slots.compareAndSet(i, s, null) ? s : null;
    }

    /**
     * Hands a reply received in place to the caller waiting for it: its slot reads it now; a caller waiting with a
     * future gets a copy.
     *
     * @param reply a reply received in place
     * @return false if nobody waits for this id
     */
    public boolean complete(final Incoming.InPlace reply) {
        final ReplySlot s = takeSlot(reply.msgId());
        if (s != null) {
            s.complete(reply);
            return true;
        }
        final CompletableFuture<Incoming> f = pending.remove(reply.msgId());
        return f != null && f.complete(reply.toMessage());
    }

    /**
     * Forgets a registration whose command could not be sent.
     *
     * @param msgId the command's id
     */
    public void cancel(final int msgId) {
        pending.remove(msgId);
    }

    /**
     * Hands a reply to the thread waiting for it.
     *
     * @param reply a message whose header is a reply
     * @return false if nobody waits for this id (an unsolicited reply; the caller closes its fds)
     */
    public boolean complete(final Incoming.Message reply) {
        return complete(reply.frame().header().msgId(), reply);
    }

    /**
     * Hands a reply received into a lent buffer to the thread waiting for it.
     *
     * @param reply a reply whose payload is lent
     * @return false if nobody waits for this id (the caller releases the buffer)
     */
    public boolean complete(final Incoming.Loaned reply) {
        return complete(reply.header().msgId(), reply);
    }

    private boolean complete(final int msgId, final Incoming reply) {
        final ReplySlot s = takeSlot(msgId);
        if (s != null) {
            s.complete(reply instanceof Incoming.Loaned l ? l.toMessage() : (Incoming.Message) reply);
            return true;
        }
        final CompletableFuture<Incoming> f = pending.remove(msgId);
        return f != null && f.complete(reply);
    }

    /**
     * Fails the command waiting for {@code msgId}: its reply could not be received.
     *
     * @param msgId  the command's id
     * @param reason why
     * @return false if nobody waits for this id
     */
    public boolean fail(final int msgId, final String reason) {
        final ReplySlot s = takeSlot(msgId);
        if (s != null) {
            s.fail(reason);
            return true;
        }
        final CompletableFuture<Incoming> f = pending.remove(msgId);
        return f != null && f.completeExceptionally(new IOException(reason));
    }

    /**
     * Fails every waiting command and all later ones: the connection is gone.
     *
     * @param reason why
     */
    public void closeAll(final String reason) {
        closedReason = reason;
        for (int i = 0; i < SLOTS; i++) {
            final ReplySlot s = slots.getAndSet(i, null);
            if (s != null) {
                s.fail(reason);
            }
        }
        for (final Integer id : pending.keySet()) {
            final CompletableFuture<Incoming> f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(new IOException(reason));
            }
        }
    }

    /**
     * Waits for a reply.
     *
     * @param msgId   the command's id
     * @param future  what {@link #expect} returned
     * @param timeout how long to wait
     * @return the reply
     * @throws IOException if the connection closed; {@link NoReplyException} if no reply came in time
     */
    public Incoming.Message await(final int msgId, final CompletableFuture<Incoming> future,
            final Duration timeout) throws IOException {
        return switch (awaitAny(msgId, future, timeout)) {
            case Incoming.Loaned l -> l.toMessage();
            case Incoming.Message m -> m;
            case Incoming x -> throw new IllegalStateException("not a reply: " + x);
        };
    }

    /**
     * Waits for a reply, which may be {@link Incoming.Loaned} (the caller releases it) or a
     * {@link Incoming.Message}. A reply lent after the wait timed out is released here or by the receiver
     * (see {@code abandon}), so the lent buffer is never held by an abandoned call.
     *
     * @see #await
     * @param msgId the command's id
     * @param future what {@link #expect} returned
     * @param timeout the longest wait
     * @return the reply
     * @throws IOException {@link NoReplyException} after the timeout, or the reason the connection closed
     */
    public Incoming awaitAny(final int msgId, final CompletableFuture<Incoming> future, final Duration timeout)
            throws IOException {
        return awaitAny(msgId, future, timeout, timeout);
    }

    /**
     * Like {@link #awaitAny(int, CompletableFuture, Duration)}, waiting at most {@code wait}: what is left of
     * {@code timeout} when the caller spent the rest reading the socket itself; a timeout names {@code timeout}.
     */
    public Incoming awaitAny(final int msgId, final CompletableFuture<Incoming> future, final Duration wait,
            final Duration timeout) throws IOException {
        return awaitAny(msgId, future, wait.toNanos(), timeout);
    }

    /** Like {@link #awaitAny(int, CompletableFuture, Duration, Duration)}, the wait in nanoseconds (no Duration). */
    public Incoming awaitAny(final int msgId, final CompletableFuture<Incoming> future, final long waitNanos,
            final Duration timeout) throws IOException {
        try {
            return future.get(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
        } catch (final TimeoutException e) {
            abandon(msgId, future);
            throw new NoReplyException(noReplyWithin(timeout));
        } catch (final ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (final InterruptedException e) {
            abandon(msgId, future);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the reply to msg_id " + msgId);
        }
    }

    /**
     * Gives up on a reply (a timed-out wait, or a command sent ahead whose reply is no longer wanted). Completing
     * the future first decides the race with the receiver: if the receiver completes it first, the reply (a lent
     * buffer) is released here; otherwise its {@code complete} returns false and the receiver releases it.
     *
     * @param msgId  the command's id
     * @param future what {@link #expect} returned
     */
    public void abandon(final int msgId, final CompletableFuture<Incoming> future) {
        pending.remove(msgId);
        if (!future.completeExceptionally(new IOException("abandoned")) && future.state() == Future.State.SUCCESS
                && future.resultNow() instanceof Incoming.Loaned late) {
            late.release();
        }
    }

    /**
     * {@return "no reply within T", the reason of every reply timeout}
     *
     * @param timeout the timeout that passed
     */
    public static String noReplyWithin(final Duration timeout) {
        return "no reply within " + seconds(timeout);
    }

    private static String seconds(final Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
