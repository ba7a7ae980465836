package dev.tern.migration.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The connection preamble: layout, round trip, and every way it can be wrong. */
class PreambleTest {

    private static byte[] bytes(final Preamble p) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.write(Channels.newChannel(out));
        return out.toByteArray();
    }

    private static Preamble read(final byte[] b) throws IOException {
        return Preamble.read(Loopback.source(b));
    }

    /** Re-seals bytes 0..27 with a correct CRC, so a test reaches the check it is after. */
    private static byte[] sealed(final byte[] b) {
        final CRC32C crc = new CRC32C();
        crc.update(b, 0, 28);
        ByteBuffer.wrap(b).putInt(28, (int) crc.getValue());
        return b;
    }

    @Test
    void roundTripsAndStartsWithTheMagic() throws IOException {
        final Preamble control = Preamble.control(0x0123_4567_89ab_cdefL, 3);
        final Preamble data = Preamble.data(-2L, 2, 3);
        final byte[] b = bytes(control);
        assertThat(b).hasSize(Preamble.SIZE);
        assertThat(new String(b, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("TERNMIG1");
        assertThat(HexFormat.of().formatHex(b, 8, 28)).isEqualTo("0001" + "0001" + "00000003"
                + "0123456789abcdef" + "00000000");
        assertThat(read(b)).isEqualTo(control);
        assertThat(read(bytes(data))).isEqualTo(data);
        assertThat(data.role()).isEqualTo(Preamble.Role.DATA);
    }

    @Test
    void readsNoMoreThanItsOwnBytes() throws IOException {
        final byte[] twice = new byte[64];
        System.arraycopy(bytes(Preamble.control(1, 0)), 0, twice, 0, 32);
        System.arraycopy(bytes(Preamble.control(2, 0)), 0, twice, 32, 32);
        final var channel = Loopback.source(twice);
        assertThat(Preamble.read(channel).sessionId()).isEqualTo(1);
        assertThat(Preamble.read(channel).sessionId()).isEqualTo(2);
    }

    @Test
    void wrongMagicIsNamed() {
        final byte[] http = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> read(http)).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("preamble: wrong magic 47 45 54 20 2f 20 48 54, not \"TERNMIG1\"");
    }

    @Test
    void anUnsupportedVersionIsNamedBeforeTheRestIsRead() throws IOException {
        final byte[] b = Arrays.copyOf(bytes(Preamble.control(1, 1)), 10);
        b[9] = 2;
        assertThatThrownBy(() -> read(b)).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("preamble: unsupported version 2 (this side speaks 1)");
    }

    @Test
    void aDamagedPreambleFailsItsCrc() throws IOException {
        final byte[] b = bytes(Preamble.data(7, 0, 1));
        b[20] ^= 0x40;
        assertThatThrownBy(() -> read(b)).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessageStartingWith("preamble: CRC32C mismatch");
    }

    @Test
    void badFieldsAreCorruptNotIllegalArguments() throws IOException {
        final byte[] role = bytes(Preamble.control(1, 1));
        role[11] = 9;
        assertThatThrownBy(() -> read(sealed(role))).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("preamble: unknown role 9");
        final byte[] device = bytes(Preamble.data(1, 0, 1));
        device[27] = 1;
        assertThatThrownBy(() -> read(sealed(device))).isExactlyInstanceOf(CorruptStreamException.class)
                .hasMessage("preamble: device index 1 is not in 0..0");
    }

    @Test
    void truncationIsCorruptAndSilenceIsEof() throws IOException {
        final byte[] b = bytes(Preamble.control(5, 2));
        assertThatThrownBy(() -> read(new byte[0])).isExactlyInstanceOf(EOFException.class);
        for (int cut = 1; cut < b.length; cut++) {
            final byte[] part = Arrays.copyOf(b, cut);
            assertThatThrownBy(() -> read(part)).isExactlyInstanceOf(CorruptStreamException.class)
                    .hasMessage("preamble: stream ended after " + cut + " of 32 bytes");
        }
    }

    @Test
    void rangesAreChecked() {
        assertThatThrownBy(() -> Preamble.data(1, 3, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Preamble(1, Preamble.Role.CONTROL, 1, 2, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Preamble.control(1, Preamble.MAX_DATA_CONNECTIONS + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
