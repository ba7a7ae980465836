package dev.tern.migration;

import dev.tern.migration.wire.RecordKind;
import java.io.IOException;

/**
 * The switchover-ack bookkeeping of the source (QEMU's switchover-ack, spec live-migration.md §1.1): per device,
 * whether its initial pre-copy data has been sent (INIT_DATA_SENT) and whether the destination has acknowledged it
 * loaded (SWITCHOVER_ACK, read on the control thread). A device outside pre-copy counts as acknowledged.
 */
final class SwitchoverAcks {

    private final boolean[] sent;
    private final boolean[] acked;
    private boolean peerFailed;

    /** @param devices how many devices migrate */
    SwitchoverAcks(final int devices) {
        this.sent = new boolean[devices];
        this.acked = new boolean[devices];
    }

    /** A device that sends no pre-copy data: nothing to acknowledge. */
    synchronized void notInPrecopy(final int i) {
        acked[i] = true;
    }

    /** @return whether device {@code i}'s INIT_DATA_SENT went out */
    synchronized boolean sent(final int i) {
        return sent[i];
    }

    /** Device {@code i}'s INIT_DATA_SENT went out. */
    synchronized void markSent(final int i) {
        sent[i] = true;
    }

    /** Control records handled on arrival: a SWITCHOVER_ACK, or the inbox's end (kind null). */
    synchronized void onControl(final ControlInbox.Message m) {
        if (m.kind() == null) {
            peerFailed = true;
            notifyAll();
        } else if (m.kind() == RecordKind.SWITCHOVER_ACK && m.deviceId() >= 0 && m.deviceId() < acked.length) {
            acked[m.deviceId()] = true;
            notifyAll();
        }
    }

    /** @return true once the control connection has failed */
    synchronized boolean peerFailed() {
        return peerFailed;
    }

    /** @return true when every device is acknowledged */
    synchronized boolean all() {
        for (final boolean a : acked) {
            if (!a) {
                return false;
            }
        }
        return true;
    }

    /** @return true when device {@code i} has neither sent its initial data nor been acknowledged */
    synchronized boolean neverSent(final int i) {
        return !sent[i] && !acked[i];
    }

    /**
     * Waits until every device whose initial data was sent is acknowledged.
     *
     * @param deadline when to give up, on {@code clock}
     * @param clock    the migration's clock (nanoseconds, same origin as {@code deadline})
     * @param timeoutMs for the message
     */
    synchronized void awaitSent(final long deadline, final java.util.function.LongSupplier clock,
            final long timeoutMs) throws IOException, InterruptedException {
        while (!sentAcked()) {
            if (peerFailed) {
                throw new IOException("the destination's control connection failed before every device's"
                        + " initial data was acknowledged");
            }
            final long left = deadline - clock.getAsLong();
            if (left <= 0) {
                throw new IOException("the destination did not acknowledge every device's initial data within "
                        + timeoutMs + " ms");
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    private boolean sentAcked() {
        for (int i = 0; i < acked.length; i++) {
            if (sent[i] && !acked[i]) {
                return false;
            }
        }
        return true;
    }
}
