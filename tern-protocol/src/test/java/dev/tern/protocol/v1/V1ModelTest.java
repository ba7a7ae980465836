package dev.tern.protocol.v1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.protocol.MigrationState;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** All 8×8 v1 writes under both policies, and the toggle→action plans, against tables from spec §1.2–§1.5. */
class V1ModelTest {

    /** Patch 2/7's table (spec §1.5): the only allowed writes. */
    private static final Set<String> ALLOWED_2021 = Set.of("000>001", "000>100", "001>000", "001>010", "001>011",
            "010>000", "010>001", "011>001", "011>010", "100>000", "100>001");

    private static final Set<String> VALID = Set.of("000", "001", "010", "011", "100");

    /** Ordered actions per write, derived by hand from the per-bit rules (spec §1.5) and the additions. */
    private static final Map<String, String> PLANS = Map.ofEntries(
            Map.entry("000>001", "UNFREEZE UNQUIESCE"),
            Map.entry("000>010", "SERIALIZE_POST_COPY"),
            Map.entry("000>011", "SERIALIZE_PRE_COPY UNFREEZE UNQUIESCE"),
            Map.entry("000>100", "PREPARE_RESUMING"),
            Map.entry("001>000", "QUIESCE FREEZE"),
            Map.entry("001>010", "QUIESCE FREEZE SERIALIZE_POST_COPY"),
            Map.entry("001>011", "SERIALIZE_PRE_COPY"),
            Map.entry("001>100", "QUIESCE FREEZE PREPARE_RESUMING"),
            Map.entry("010>000", "END_SAVING"),
            Map.entry("010>001", "END_SAVING UNFREEZE UNQUIESCE"),
            Map.entry("010>011", "UNFREEZE UNQUIESCE"),
            Map.entry("010>100", "END_SAVING PREPARE_RESUMING"),
            Map.entry("011>000", "QUIESCE FREEZE END_SAVING"),
            Map.entry("011>001", "END_SAVING"),
            Map.entry("011>010", "QUIESCE FREEZE SERIALIZE_POST_COPY_REMAINDER"),
            Map.entry("011>100", "QUIESCE FREEZE END_SAVING PREPARE_RESUMING"),
            Map.entry("100>000", "DESERIALIZE"),
            Map.entry("100>001", "DESERIALIZE UNFREEZE UNQUIESCE"),
            Map.entry("100>010", "DESERIALIZE SERIALIZE_POST_COPY"),
            Map.entry("100>011", "DESERIALIZE SERIALIZE_PRE_COPY UNFREEZE UNQUIESCE"));

    @Test
    void namesValidityAndErrorOfAllEightCombinations() {
        assertThat(V1State.values()).extracting(V1State::binary)
                .containsExactly("000", "001", "010", "011", "100", "101", "110", "111");
        assertThat(V1State.values()).extracting(V1State::bitNames).containsExactly("STOP", "RUNNING", "SAVING",
                "RUNNING|SAVING", "RESUMING", "RUNNING|RESUMING", "SAVING|RESUMING", "RUNNING|SAVING|RESUMING");
        assertThat(V1State.values()).filteredOn(V1State::isValid).extracting(V1State::binary)
                .containsExactlyInAnyOrderElementsOf(VALID);
        assertThat(V1State.values()).filteredOn(V1State::isError).containsExactly(V1State.ERROR);
        assertThat(V1State.ERROR.binary()).isEqualTo("110");
    }

    @Test
    void proposed2021AllowsExactlyItsTable() {
        for (final V1State from : V1State.values()) {
            for (final V1State to : V1State.values()) {
                final String key = from.binary() + ">" + to.binary();
                final V1Verdict v = V1Policy.PROPOSED_2021.check(from, to);
                assertThat(v).as(key).isInstanceOf(ALLOWED_2021.contains(key)
                        ? V1Verdict.Allowed.class : V1Verdict.Refused.class);
            }
        }
        final V1Verdict qemu = V1Policy.PROPOSED_2021.check(V1State.RUNNING, V1State.RESUMING);
        assertThat(((V1Verdict.Refused) qemu).reason()).contains("not in the 2021 table").contains("permissive");
    }

    @Test
    void permissiveAllowsEveryValidToValidWrite() {
        int allowed = 0;
        for (final V1State from : V1State.values()) {
            for (final V1State to : V1State.values()) {
                final boolean expect = VALID.contains(from.binary()) && VALID.contains(to.binary());
                final V1Verdict v = V1Policy.PERMISSIVE.check(from, to);
                assertThat(v).as(from + ">" + to)
                        .isInstanceOf(expect ? V1Verdict.Allowed.class : V1Verdict.Refused.class);
                allowed += expect ? 1 : 0;
            }
        }
        assertThat(allowed).isEqualTo(25);
        assertThat(V1Policy.PERMISSIVE.check(V1State.RUNNING, V1State.RESUMING)).isInstanceOf(V1Verdict.Allowed.class);
        assertThat(((V1Verdict.Refused) V1Policy.PERMISSIVE.check(V1State.ERROR, V1State.RUNNING)).reason())
                .contains("reset");
    }

    @Test
    void plansFollowTheBitsThatToggle() {
        for (final V1State from : V1State.values()) {
            for (final V1State to : V1State.values()) {
                if (!from.isValid() || !to.isValid()) {
                    continue;
                }
                final String key = from.binary() + ">" + to.binary();
                final List<V1Action> expected = from == to ? List.of()
                        : Arrays.stream(PLANS.get(key).split(" ")).map(V1Action::valueOf).toList();
                assertThat(V1Plan.of(from, to).actions()).as(key).isEqualTo(expected);
            }
        }
    }

    @Test
    void failedDeserializationGoesToErrorAndIgnoresSaving() {
        final V1Plan.Outcome out = V1Plan.of(V1State.RESUMING, V1State.SAVING)
                .execute(a -> a != V1Action.DESERIALIZE);
        assertThat(out.state()).isEqualTo(V1State.ERROR);
        assertThat(out.failed()).isEqualTo(V1Action.DESERIALIZE);
        assertThat(out.skipped()).containsExactly(V1Action.SERIALIZE_POST_COPY);
        assertThat(out.performed()).isEmpty();

        final V1Plan.Outcome thrown = V1Plan.of(V1State.RUNNING, V1State.SAVING).execute(a -> {
            if (a == V1Action.FREEZE) {
                throw new IllegalStateException("stuck");
            }
            return true;
        });
        assertThat(thrown.state()).isEqualTo(V1State.ERROR);
        assertThat(thrown.performed()).containsExactly(V1Action.QUIESCE);

        final V1Plan.Outcome ok = V1Plan.of(V1State.PRE_COPY, V1State.SAVING).execute(a -> true);
        assertThat(ok.state()).isEqualTo(V1State.SAVING);
        assertThat(ok.performed()).endsWith(V1Action.SERIALIZE_POST_COPY_REMAINDER);
    }

    @Test
    void mapsTheFiveValidStatesToV2() {
        assertThat(V1State.STOP.toV2()).contains(MigrationState.STOP);
        assertThat(V1State.RUNNING.toV2()).contains(MigrationState.RUNNING);
        assertThat(V1State.SAVING.toV2()).contains(MigrationState.STOP_COPY);
        assertThat(V1State.PRE_COPY.toV2()).contains(MigrationState.PRE_COPY);
        assertThat(V1State.RESUMING.toV2()).contains(MigrationState.RESUMING);
        assertThat(V1State.RUNNING_RESUMING.toV2()).isEmpty();
        for (final V1State s : V1State.values()) {
            s.toV2().ifPresent(v2 -> assertThat(V1State.fromV2(v2)).contains(s));
        }
        assertThat(V1State.fromV2(MigrationState.RUNNING_P2P)).isEmpty();
        assertThat(V1State.RUNNING.bits()).isEqualTo(1);
        assertThat(MigrationState.RUNNING.uapi()).isEqualTo(2);
    }

    @Test
    void parsesBitsNumbersAndNames() {
        assertThat(V1State.parse("011")).isEqualTo(V1State.PRE_COPY);
        assertThat(V1State.parse("3")).isEqualTo(V1State.PRE_COPY);
        assertThat(V1State.parse("0b110")).isEqualTo(V1State.ERROR);
        assertThat(V1State.parse("RUNNING|SAVING")).isEqualTo(V1State.PRE_COPY);
        assertThat(V1State.parse("_running | _saving")).isEqualTo(V1State.PRE_COPY);
        assertThat(V1State.parse("stop")).isEqualTo(V1State.STOP);
        assertThat(V1State.parse("resuming")).isEqualTo(V1State.RESUMING);
        assertThatThrownBy(() -> V1State.parse("8")).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> V1State.parse("RUNNING|FLYING")).hasMessageContaining("unknown v1 state");
        assertThatThrownBy(() -> V1Policy.parse("lax")).hasMessageContaining("proposed-2021");
    }
}
