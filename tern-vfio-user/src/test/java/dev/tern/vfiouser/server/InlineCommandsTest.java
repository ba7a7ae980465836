package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.le;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.extension.TernDiagnostics;
import org.junit.jupiter.api.Test;

/** Which commands the reader answers itself: never one that may wait for the client or do long device work. */
class InlineCommandsTest {
    @Test
    void commandsByTheirHandlers() {
        for (final Command c : Command.values()) {
            final boolean expected = switch (c) {
                case REGION_READ, DEVICE_GET_INFO, DEVICE_GET_REGION_INFO, DEVICE_GET_IRQ_INFO, MIG_DATA_READ -> true;
                default -> false;
            };
            assertThat(InlineCommands.neverBlocks(frame(c.code(), new byte[16]))).as(c.name()).isEqualTo(expected);
        }
        assertThat(InlineCommands.neverBlocks(frame(14, new byte[0]))).as("unknown command 14").isFalse();
        assertThat(InlineCommands.neverBlocks(frame(0xffff, new byte[0]))).as("unknown command").isFalse();
    }

    @Test
    void featureGetsButNotSetsNorTheChecksum() {
        assertThat(feature(DeviceFeature.GET | 2)).as("GET MIG_DEVICE_STATE").isTrue();
        assertThat(feature(DeviceFeature.GET | 1)).as("GET MIGRATION").isTrue();
        assertThat(feature(DeviceFeature.SET | 2)).as("SET MIG_DEVICE_STATE").isFalse();
        assertThat(feature(DeviceFeature.GET | DeviceFeature.SET | 2)).as("GET|SET").isFalse();
        assertThat(feature(DeviceFeature.GET | TernDiagnostics.CHECKSUM)).as("GET CHECKSUM").isFalse();
        assertThat(InlineCommands.neverBlocks(frame(Command.DEVICE_FEATURE.code(), new byte[7]))).as("short")
                .isFalse();
    }

    private static boolean feature(final int flags) {
        return InlineCommands.neverBlocks(frame(Command.DEVICE_FEATURE.code(), le(16, flags, 0, 0)));
    }

    private static Frame frame(final int command, final byte[] payload) {
        return new Frame(new Header(1, command, Header.SIZE + payload.length, Header.TYPE_COMMAND, 0),
                Blob.wrap(payload), 0);
    }
}
