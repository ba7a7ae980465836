package dev.tern.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MigrationStateTest {

    @Test
    void uapiNumbersAreTheKernels() {
        assertThat(MigrationState.values()).extracting(MigrationState::uapi).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(MigrationState.ofUapi(5)).isEqualTo(MigrationState.RUNNING_P2P);
        assertThat(MigrationFeature.STOP_COPY.bit()).isEqualTo(1);
        assertThat(MigrationFeature.P2P.bit()).isEqualTo(2);
        assertThat(MigrationFeature.PRE_COPY.bit()).isEqualTo(4);
    }

    @Test
    void unknownNumbersAndNamesAreRejectedWithAMessage() {
        assertThatThrownBy(() -> MigrationState.ofUapi(8)).hasMessageContaining("unknown migration state 8");
        assertThatThrownBy(() -> MigrationState.ofUapi(0xabcd)).hasMessageContaining("43981");
        assertThatThrownBy(() -> MigrationState.parse("FLYING")).hasMessageContaining("'FLYING'");
        assertThatThrownBy(() -> MigrationState.parse("99999999999")).hasMessageContaining("unknown");
        assertThat(MigrationState.parse("running-p2p")).isEqualTo(MigrationState.RUNNING_P2P);
        assertThat(MigrationState.parse("VFIO_DEVICE_STATE_STOP_COPY")).isEqualTo(MigrationState.STOP_COPY);
        assertThat(MigrationState.parse("7")).isEqualTo(MigrationState.PRE_COPY_P2P);
    }

    @Test
    void flagSetsWithoutStopCopyOrWithUnknownBitsAreRejected() {
        assertThatThrownBy(() -> new MigrationFlags(0)).hasMessageContaining("STOP_COPY");
        assertThatThrownBy(() -> new MigrationFlags(6)).hasMessageContaining("STOP_COPY");
        assertThatThrownBy(() -> new MigrationFlags(9)).hasMessageContaining("0x8");
        assertThatThrownBy(() -> MigrationFlags.parse("p2p")).hasMessageContaining("STOP_COPY");
        assertThatThrownBy(() -> MigrationFlags.parse("stop-copy,warp")).hasMessageContaining("'warp'");
        assertThat(MigrationFlags.parse("stop-copy,pre-copy")).isEqualTo(MigrationFlags.PRE_COPY);
        assertThat(MigrationFlags.parse("7")).isEqualTo(MigrationFlags.ALL);
        assertThat(MigrationFlags.ALL).hasToString("stop-copy,p2p,pre-copy");
    }

    @Test
    void statesPerFlagSetFollowTheKernelStateFlagsTable() {
        assertThat(MigrationFlags.STOP_COPY.states()).containsExactly(MigrationState.STOP, MigrationState.RUNNING,
                MigrationState.STOP_COPY, MigrationState.RESUMING);
        assertThat(MigrationFlags.P2P.states()).contains(MigrationState.RUNNING_P2P)
                .doesNotContain(MigrationState.PRE_COPY);
        assertThat(MigrationFlags.PRE_COPY.states()).contains(MigrationState.PRE_COPY)
                .doesNotContain(MigrationState.PRE_COPY_P2P);
        assertThat(MigrationFlags.ALL.states()).hasSize(7).doesNotContain(MigrationState.ERROR);
    }
}
