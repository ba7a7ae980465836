package dev.tern.migration;

import dev.tern.migration.wire.RecordKind;
import java.io.IOException;

/**
 * The switchover-ack bookkeeping of the source (QEMU's switchover-ack, spec live-migration.md §1.1): per device,
 * whether its current initial pre-copy data has been sent (INIT_DATA_SENT) and whether the destination has
 * acknowledged every INIT_DATA_SENT (one SWITCHOVER_ACK each, read on the control thread). A REINIT (new initial
 * data, PRECOPY_INFOv2) re-arms the device: it is acknowledged again only once the new initial data is sent and that
 * INIT_DATA_SENT is acknowledged — an ack still in flight for the old data does not count for the new, because
 * acks are counted against INIT_DATA_SENTs. A device outside pre-copy counts as acknowledged.
 */
final class SwitchoverAcks {

    private final boolean[] sent;
    private final boolean[] exempt;
    private final int[] sentCount;
    private final int[] ackCount;
    private boolean peerFailed;

    /** @param devices how many devices migrate */
    SwitchoverAcks(final int devices) {
        this.sent = new boolean[devices];
        this.exempt = new boolean[devices];
        this.sentCount = new int[devices];
        this.ackCount = new int[devices];
    }

    /** A device that sends no pre-copy data: nothing to acknowledge. */
    synchronized void notInPrecopy(final int i) {
        exempt[i] = true;
    }

    /** Device {@code i} re-initialised (REINIT): its new initial data must be sent and acknowledged again. */
    synchronized void reinit(final int i) {
        sent[i] = false;
    }

    /** @return whether device {@code i}'s INIT_DATA_SENT went out */
    synchronized boolean sent(final int i) {
        return sent[i];
    }

    /** Device {@code i}'s INIT_DATA_SENT went out. */
    synchronized void markSent(final int i) {
        sent[i] = true;
        sentCount[i]++;
    }

    /**
     * Control records handled on arrival: a SWITCHOVER_ACK, or the inbox's end (kind null).
     *
     * @return the device acknowledged, or -1 (not an ack, or one for no INIT_DATA_SENT of a known device)
     */
    synchronized int onControl(final ControlInbox.Message m) {
        if (m.kind() == null) {
            peerFailed = true;
            notifyAll();
        } else if (m.kind() == RecordKind.SWITCHOVER_ACK && m.deviceId() >= 0 && m.deviceId() < sent.length
                && ackCount[m.deviceId()] < sentCount[m.deviceId()]) {
            ackCount[m.deviceId()]++;
            notifyAll();
            return m.deviceId();
        }
        return -1;
    }

    /** @return true once the control connection has failed */
    synchronized boolean peerFailed() {
        return peerFailed;
    }

    /** @return true when every device is acknowledged */
    synchronized boolean all() {
        for (int i = 0; i < sent.length; i++) {
            if (!acked(i)) {
                return false;
            }
        }
        return true;
    }

    /** @return true when device {@code i}'s current initial data has not all been sent */
    synchronized boolean neverSent(final int i) {
        return !exempt[i] && !sent[i];
    }

    /** @return how many SWITCHOVER_ACKs device {@code i} received */
    synchronized int acks(final int i) {
        return ackCount[i];
    }

    private boolean acked(final int i) {
        return exempt[i] || (sent[i] && ackCount[i] == sentCount[i]);
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
        for (int i = 0; i < sent.length; i++) {
            if (ackCount[i] < sentCount[i]) {
                return false;
            }
        }
        return true;
    }
}
