package dev.tern.migration;

import dev.tern.migration.wire.Record;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads the control connection on its own thread so neither side blocks on it while streaming: records arrive in a
 * queue (payloads copied, since the reader reuses its buffer), a few kinds are handled on arrival by a callback
 * (switchover acks), and the first I/O failure or ABORT ends the inbox with that failure (the callback sees a
 * message of kind {@code null} then, so nothing waits on for acks that cannot come).
 */
final class ControlInbox implements AutoCloseable {

    /** A copied control record. */
    record Message(RecordKind kind, int deviceId, ByteBuffer payload) {
    }

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private volatile IOException failure;
    private final Thread thread;

    ControlInbox(final RecordReader reader, final String name, final Consumer<Message> immediate) {
        this.thread = Thread.ofPlatform().daemon().name(name).start(() -> {
            try {
                while (true) {
                    final Record r = reader.read();
                    final ByteBuffer copy = ByteBuffer.allocate(r.payload().remaining()).put(r.payload()).flip();
                    final Message m = new Message(r.kind(), r.deviceId(), copy);
                    if (r.kind() == RecordKind.ABORT) {
                        fail(new PeerAbort(WireText.get(copy.duplicate())), immediate);
                        return;
                    }
                    if (!immediateHandled(immediate, m)) {
                        queue.add(m);
                    }
                }
            } catch (final IOException | RuntimeException e) {
                fail(e instanceof IOException io ? io : new IOException(e.getMessage(), e), immediate);
            }
        });
    }

    /** Queues the failure and tells the immediate handler (with a null-kind message) so no waiter sleeps on. */
    private void fail(final IOException e, final Consumer<Message> immediate) {
        failure = e;
        queue.add(e);
        immediate.accept(new Message(null, -1, ByteBuffer.allocate(0)));
    }

    /** The peer's ABORT record: it gave up and said why (issue 9 item 10). */
    static final class PeerAbort extends IOException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        PeerAbort(final String reason) {
            super("peer aborted: " + reason);
            this.reason = reason;
        }

        /** @return the reason the peer sent */
        String reason() {
            return reason;
        }
    }

    /**
     * The peer's own reason for a failure, if it sent one: a peer that fails writes an ABORT before it closes, so
     * the ABORT is already on its way when this side's writes run into the closed connection.
     *
     * @param wait how long to let the reading thread reach the end of the stream (bounded)
     * @return the reason from the peer's ABORT, or empty if the inbox did not end with one
     */
    java.util.Optional<String> peerReason(final Duration wait) {
        try {
            thread.join(wait);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return failure instanceof PeerAbort a ? java.util.Optional.of(a.reason()) : java.util.Optional.empty();
    }

    /** @return the failure that ended the inbox, or null while it reads */
    IOException failure() {
        return failure;
    }

    private static boolean immediateHandled(final Consumer<Message> immediate, final Message m) {
        if (m.kind() == RecordKind.SWITCHOVER_ACK || m.kind() == RecordKind.STOP_COPY_BEGIN
                || m.kind() == RecordKind.HEARTBEAT) {
            immediate.accept(m);
            return true;
        }
        return false;
    }

    /**
     * @return the next record, which must be of {@code kind}
     * @throws IOException on timeout, a failed connection, an ABORT, or another kind
     */
    Message expect(final RecordKind kind, final Duration timeout) throws IOException {
        final Object o;
        try {
            o = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + kind);
        }
        if (o == null) {
            throw new IOException("no " + kind + " from the peer within " + timeout.toMillis() + " ms");
        }
        if (o instanceof IOException e) {
            queue.add(e);
            throw new IOException(e.getMessage(), e);
        }
        final Message m = (Message) o;
        if (m.kind() != kind) {
            throw new IOException("expected " + kind + " from the peer, got " + m.kind());
        }
        return m;
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
