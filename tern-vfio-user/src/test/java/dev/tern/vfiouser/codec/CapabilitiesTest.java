package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.json.Json;
import dev.tern.json.JsonException;
import dev.tern.json.JsonValue;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    @Test
    void absentMembersMeanTheSpecificationDefaults() throws CodecException {
        final Capabilities c = Capabilities.fromVersionJson("{}");
        assertThat(c).isEqualTo(Capabilities.none());
        assertThat(c.effectiveMaxMsgFds()).isEqualTo(1);
        assertThat(c.effectiveMaxDataXferSize()).isEqualTo(1048576);
        assertThat(c.effectivePgsizes()).isEqualTo(4096);
        assertThat(c.effectiveMaxDmaMaps()).isEqualTo(65535);
        assertThat(c.twinSocketSupported()).isFalse();
        assertThat(c.effectiveTern()).isEqualTo(TernExtension.NONE);
        assertThat(Capabilities.fromVersionJson("{\"capabilities\":{}}")).isEqualTo(Capabilities.none());
    }

    @Test
    void unknownMembersAreIgnoredAtEveryLevel() throws CodecException {
        final Capabilities c = Capabilities.fromVersionJson("{\"vendor\":[1,{}],\"capabilities\":{\"future\":{\"x\":"
                + "null},\"max_msg_fds\":4,\"twin_socket\":{\"supported\":true,\"extra\":1},\"tern\":{\"p2p\":true,"
                + "\"later\":\"yes\"}}}");
        assertThat(c.maxMsgFds()).hasValue(4);
        assertThat(c.twinSocket()).contains(new TwinSocket(true, OptionalInt.empty()));
        assertThat(c.tern()).contains(new TernExtension(true, false));
    }

    @Test
    void writesCompactlyInSpecificationOrderAndReadsBack() throws CodecException {
        final Capabilities c = Capabilities.none().withTern(TernExtension.ALL).withMigration(
                MigrationCapability.ofPgsize(4096)).withWriteMultiple(true).withTwinSocket(TwinSocket.enabled(0))
                .withMaxDmaMaps(10).withPgsizes(-4096L).withMaxDataXferSize(1 << 20).withMaxMsgFds(8);
        final String json = c.toVersionJson();
        assertThat(json).isEqualTo("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
                + "\"pgsizes\":18446744073709547520,\"max_dma_maps\":10,\"twin_socket\":{\"supported\":true,"
                + "\"fd_index\":0},\"write_multiple\":true,\"migration\":{\"pgsize\":4096},\"tern\":{\"p2p\":true,"
                + "\"precopy_info\":true,\"precopy_info_v2\":true}}}");
        assertThat(Capabilities.fromVersionJson(json)).isEqualTo(c);
    }

    @Test
    void rangesAreChecked() {
        assertThatThrownBy(() -> Capabilities.fromVersionJson("{\"capabilities\":{\"max_msg_fds\":2147483648}}"))
                .isInstanceOf(CodecException.class).hasMessageContaining("max_msg_fds");
        assertThatThrownBy(() -> Capabilities.fromVersionJson(
                "{\"capabilities\":{\"max_data_xfer_size\":9223372036854775808}}")).isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> Capabilities.fromVersionJson("{\"capabilities\":{\"twin_socket\":{\"fd_index\":-1}}}"))
                .isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> Capabilities.fromVersionJson(
                "{\"capabilities\":{\"migration\":{\"pgsize\":\"4k\"}}}")).hasMessageContaining("migration.pgsize");
    }

    @Test
    void migrationObjectKeepsBothMembers() throws CodecException {
        final Capabilities c = Capabilities.fromVersionJson(
                "{\"capabilities\":{\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456}}}");
        assertThat(c.migration()).contains(new MigrationCapability(OptionalLong.of(4096), OptionalLong.of(1 << 28)));
    }

    @Test
    void toleratesJsonCSpacedOutputWithTabsAndNewlines() throws JsonException, CodecException {
        final JsonValue v = Json.parse("{\n\t\"capabilities\" :\r\n { \"max_msg_fds\" : 8 }\n}\n");
        assertThat(Capabilities.fromJson(((JsonValue.JsonObject) v).get("capabilities").orElseThrow())
                .effectiveMaxMsgFds()).isEqualTo(8);
    }
}
