package dev.tern.device.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamHeaderTest {

    @Test
    void aDeviceStreamBeginsWithItsOwnMagicNotTheMigrationChannelsPreamble() {
        final ByteBuffer b = new StreamHeader(1, StreamHeader.FLAG_PRE_COPY, "uart").encode();
        final byte[] magic = new byte[8];
        b.get(0, magic);
        assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("TERNDEV1");
    }

    @Test
    void theMigrationChannelsPreambleIsRejectedAsADeviceStream() {
        final ByteBuffer preamble = ByteBuffer.wrap("TERNMIG1 and eight more".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> StreamHeader.totalLength(preamble))
                .isInstanceOf(DeviceException.class)
                .hasMessageContaining("bad magic");
    }

    @Test
    void anEncodedHeaderRoundTrips() throws DeviceException {
        final StreamHeader h = new StreamHeader(7, 0, "dma-engine");
        final ByteBuffer b = h.encode();
        assertThat(StreamHeader.totalLength(b)).isEqualTo(h.length());
        assertThat(StreamHeader.decode(b)).isEqualTo(h);
    }
}
