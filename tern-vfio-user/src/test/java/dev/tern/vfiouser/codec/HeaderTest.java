package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HeaderTest {
    @Test
    void layoutIsLittleEndianAndPacked() {
        final Header h = new Header(0xabcd, 16, 0x1_0020L, Header.TYPE_REPLY | Header.FLAG_NO_REPLY, 0x0102_0304);
        assertThat(h.toBytes()).isEqualTo(Hex.bytes("cd ab 10 00 20 00 01 00 11 00 00 00 04 03 02 01"));
        assertThat(Header.read(h.toBytes(), 0)).isEqualTo(h);
        assertThat(h.isReply()).isTrue();
        assertThat(h.noReply()).isTrue();
        assertThat(h.isError()).isFalse();
        assertThat(h.knownCommand()).contains(Command.DEVICE_FEATURE);
        assertThat(h.payloadSize()).isEqualTo(0x1_0010L);
    }

    @Test
    void unsignedFieldsSurviveTheRoundTrip() {
        final Header h = Header.read(Hex.bytes("ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff"), 0);
        assertThat(h.msgId()).isEqualTo(0xffff);
        assertThat(h.command()).isEqualTo(0xffff);
        assertThat(h.messageSize()).isEqualTo(0xffff_ffffL);
        assertThat(h.type()).isEqualTo(0xf);
        assertThat(h.knownCommand()).isEmpty();
        assertThat(h.toBytes()).isEqualTo(Hex.bytes("ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff"));
        assertThatThrownBy(() -> new Header(0x1_0000, 1, 16, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commandNumbers() {
        assertThat(Command.VERSION.code()).isEqualTo(1);
        assertThat(Command.DEVICE_RESET.code()).isEqualTo(13);
        assertThat(Command.REGION_WRITE_MULTI.code()).isEqualTo(15);
        assertThat(Command.MIG_DATA_WRITE.code()).isEqualTo(18);
        assertThat(Command.of(14)).isEmpty();
        assertThat(Command.of(19)).isEmpty();
        assertThat(Command.of(-1)).isEmpty();
        assertThat(Command.DMA_WRITE.direction()).isEqualTo(Command.Direction.SERVER_TO_CLIENT);
        for (final Command c : Command.values()) {
            assertThat(Command.of(c.code())).contains(c);
        }
    }

    @Test
    void featureIndexesDoNotCollide() {
        assertThat(Feature.TERN_PRECOPY_INFO.index()).isEqualTo(DeviceFeature.FEATURE_TERN_PRECOPY_INFO)
                .isEqualTo(0xFF01);
        assertThat(Feature.of(9)).contains(Feature.MIG_DATA_SIZE);
        assertThat(Feature.of(11)).isEmpty();
    }
}
