package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.migration.wire.RecordKind;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The source's switchover-ack bookkeeping: one ack per INIT_DATA_SENT, re-armed by a REINIT. */
class SwitchoverAcksTest {

    private static ControlInbox.Message ack(final int device) {
        return new ControlInbox.Message(RecordKind.SWITCHOVER_ACK, device, ByteBuffer.allocate(0));
    }

    @Test
    void anAckInFlightForTheOldInitialDataDoesNotAcknowledgeTheReinitialisedData() {
        final SwitchoverAcks acks = new SwitchoverAcks(2);
        acks.notInPrecopy(1);
        assertThat(acks.all()).isFalse();
        acks.markSent(0);
        acks.reinit(0);                                   // new initial data before the first ack came back
        assertThat(acks.onControl(ack(0))).isZero();      // the old data's ack
        assertThat(acks.all()).as("the new initial data is neither sent nor acknowledged").isFalse();
        assertThat(acks.neverSent(0)).isTrue();
        acks.markSent(0);
        assertThat(acks.all()).isFalse();
        assertThat(acks.onControl(ack(0))).isZero();
        assertThat(acks.all()).isTrue();
        assertThat(acks.acks(0)).isEqualTo(2);
    }

    @Test
    void unaskedOrForeignAcksAreIgnored() {
        final SwitchoverAcks acks = new SwitchoverAcks(1);
        assertThat(acks.onControl(ack(0))).as("no INIT_DATA_SENT yet").isEqualTo(-1);
        assertThat(acks.onControl(ack(7))).isEqualTo(-1);
        acks.markSent(0);
        assertThat(acks.onControl(ack(0))).isZero();
        assertThat(acks.onControl(ack(0))).as("a second ack for one INIT_DATA_SENT").isEqualTo(-1);
        assertThat(acks.all()).isTrue();
    }
}
