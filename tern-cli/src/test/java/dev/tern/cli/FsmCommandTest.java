package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI contract other tools rely on: exact output shapes and exit codes. */
class FsmCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void csvTableHasAHeaderAndOneLinePerPair() {
        for (final MigrationFlags flags : MigrationFlags.all()) {
            final Run r = run("fsm", "table", "--features", flags.toString(), "--format", "csv");
            assertThat(r.code()).isZero();
            final List<String> lines = r.out().lines().toList();
            assertThat(lines).hasSize(65);
            assertThat(lines.get(0)).isEqualTo("from,to,next");
            int i = 1;
            for (final MigrationState from : MigrationState.values()) {
                for (final MigrationState to : MigrationState.values()) {
                    final MigrationState next = MigrationFsm.next(from, to, flags);
                    assertThat(lines.get(i++)).isEqualTo(from + "," + to + ","
                            + (next == MigrationState.ERROR ? "INVALID" : next));
                }
            }
        }
        assertThat(run("fsm", "table", "--features", "stop-copy", "--format", "csv").out())
                .contains("\nRUNNING,STOP_COPY,STOP\n", "\nRUNNING,RUNNING_P2P,INVALID\n");
    }

    @Test
    void jsonAndTextCarryTheSameData() {
        final Run json = run("fsm", "table", "--features", "stop-copy,pre-copy", "--format", "json");
        assertThat(json.code()).isZero();
        assertThat(json.out()).startsWith("{\"features\":[\"stop-copy\",\"pre-copy\"],\"flags\":5,\"table\":[")
                .contains("{\"from\":\"STOP_COPY\",\"to\":\"PRE_COPY\",\"next\":\"INVALID\"}")
                .contains("{\"from\":\"STOP\",\"to\":\"PRE_COPY\",\"next\":\"RUNNING\"}");
        final Run text = run("fsm", "table", "--format", "text");
        assertThat(text.out().lines()).hasSize(10);
    }

    @Test
    void pathPrintsArcsAndRefusesWithOneLine() {
        final Run ok = run("fsm", "path", "RUNNING", "STOP_COPY", "--features", "stop-copy,p2p");
        assertThat(ok.code()).isZero();
        assertThat(ok.out().lines().toList()).hasSize(3);
        assertThat(ok.out()).contains("RUNNING -> RUNNING_P2P").contains("stop initiating peer-to-peer DMA");

        final Run refused = run("fsm", "path", "STOP_COPY", "PRE_COPY");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err().lines().toList()).hasSize(1).first().asString().contains("refused");
    }

    @Test
    void v1ReportsVerdictAndOrderedActions() {
        final Run ok = run("fsm", "v1", "011", "RUNNING|SAVING", "--policy", "permissive");
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).isEqualTo("allowed\n");

        final Run plan = run("fsm", "v1", "PRE_COPY", "2");
        assertThat(plan.code()).isZero();
        assertThat(plan.out().lines().toList()).hasSize(4).first().isEqualTo("allowed");
        assertThat(plan.out()).contains("1. QUIESCE", "2. FREEZE", "3. SERIALIZE_POST_COPY_REMAINDER");

        final Run refused = run("fsm", "v1", "001", "100");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.out()).startsWith("refused: ").contains("2021 table");
        assertThat(run("fsm", "v1", "001", "100", "--policy", "permissive").code()).isZero();
    }

    @Test
    void dotListsOnlySupportedStatesAndArcs() {
        final Run r = run("fsm", "dot", "--features", "stop-copy");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("digraph").contains("RUNNING -> STOP [label=\"stop\"]")
                .doesNotContain("RUNNING_P2P").doesNotContain("ERROR");
        assertThat(r.out().lines().filter(l -> l.contains("->"))).hasSize(6);
    }

    @Test
    void badInputIsOneLineAndExitTwo() {
        for (final String[] args : List.of(new String[] {"fsm", "path", "RUNNING", "FLYING"},
                new String[] {"fsm", "table", "--features", "p2p"},
                new String[] {"fsm", "table", "--format", "yaml"},
                new String[] {"fsm", "v1", "9", "0"},
                new String[] {"fsm", "v1", "0", "1", "--policy", "lax"},
                new String[] {"fsm", "nope"},
                new String[] {"fsm", "path", "RUNNING"})) {
            final Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines().toList()).as(String.join(" ", args)).hasSize(1);
            assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
