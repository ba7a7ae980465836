package dev.tern.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every (current, requested) pair of the 8 uAPI states, for each of the 4 valid flag sets, against the path
 * tables of spec §2.6 written out here by hand. A cell not listed is refused.
 */
class MigrationFsmTest {

    // Abbreviations as in the spec tables: S STOP, R RUNNING, SC STOP_COPY, RS RESUMING, P RUNNING_P2P,
    // PC PRE_COPY, PCP PRE_COPY_P2P; "-" = same state (no-op), "X" = refused, ">" separates steps.
    private static final Map<Integer, String> EXPECTED = Map.of(
            1, """
               .   S   R     SC     RS
               S   -   R     SC     RS
               R   S   -     S>SC   S>RS
               SC  S   S>R   -      S>RS
               RS  S   S>R   S>SC   -
               """,
            3, """
               .   S     R       SC       RS       P
               S   -     P>R     SC       RS       P
               R   P>S   -       P>S>SC   P>S>RS   P
               SC  S     S>P>R   -        S>RS     S>P
               RS  S     S>P>R   S>SC     -        S>P
               P   S     R       S>SC     S>RS     -
               """,
            5, """
               .   S     R     SC     RS       PC
               S   -     R     SC     RS       R>PC
               R   S     -     S>SC   S>RS     PC
               SC  S     S>R   -      S>RS     X
               RS  S     S>R   S>SC   -        S>R>PC
               PC  R>S   R     SC     R>S>RS   -
               """,
            7, """
               .    S       R       SC      RS         P       PC         PCP
               S    -       P>R     SC      RS         P       P>R>PC     P>PCP
               R    P>S     -       P>S>SC  P>S>RS     P       PC         P>PCP
               SC   S       S>P>R   -       S>RS       S>P     X          X
               RS   S       S>P>R   S>SC    -          S>P     S>P>R>PC   S>P>PCP
               P    S       R       S>SC    S>RS       -       R>PC       PCP
               PC   R>P>S   R       PCP>SC  R>P>S>RS   R>P     -          PCP
               PCP  P>S     P>R     SC      P>S>RS     P       PC         -
               """);

    private static final Map<String, MigrationState> ABBREV = Map.of("S", MigrationState.STOP,
            "R", MigrationState.RUNNING, "SC", MigrationState.STOP_COPY, "RS", MigrationState.RESUMING,
            "P", MigrationState.RUNNING_P2P, "PC", MigrationState.PRE_COPY, "PCP", MigrationState.PRE_COPY_P2P);

    /** Spec §2.4: the arcs a driver must implement per flag set. */
    private static final Map<Integer, String> REQUIRED_ARCS = Map.of(
            1, "R>S S>R S>SC SC>S S>RS RS>S",
            3, "S>SC SC>S S>RS RS>S R>P P>R P>S S>P",
            5, "R>S S>R S>SC SC>S S>RS RS>S R>PC PC>R PC>SC",
            7, "S>SC SC>S S>RS RS>S R>P P>R P>S S>P R>PC PC>R PC>PCP PCP>PC PCP>P PCP>SC P>PCP");

    @Test
    void everyPairOfEveryFlagSetMatchesTheSpecTables() {
        int checked = 0;
        for (final MigrationFlags flags : MigrationFlags.all()) {
            final Map<List<MigrationState>, List<MigrationState>> expected = parse(EXPECTED.get(flags.bits()));
            for (final MigrationState from : MigrationState.values()) {
                for (final MigrationState to : MigrationState.values()) {
                    final List<MigrationState> path = expected.get(List.of(from, to));
                    final MigrationState next = MigrationFsm.next(from, to, flags);
                    final Transition t = MigrationFsm.path(from, to, flags);
                    final String where = flags + ": " + from + " -> " + to;
                    if (path == null) {
                        assertThat(next).as(where).isEqualTo(MigrationState.ERROR);
                        assertThat(t).as(where).isInstanceOf(Transition.Refused.class);
                        assertThat(MigrationFsm.refusal(from, to, flags)).as(where).isNotBlank();
                    } else {
                        assertThat(next).as(where).isEqualTo(path.isEmpty() ? from : path.get(0));
                        assertThat(t).as(where).isInstanceOf(Transition.Path.class);
                        assertThat(((Transition.Path) t).states()).as(where).isEqualTo(path);
                        assertThat(MigrationFsm.refusal(from, to, flags)).as(where).isNull();
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(4 * 64);
    }

    @Test
    void pathsAreShortestAndNeverPassThroughASavingState() {
        for (final MigrationFlags flags : MigrationFlags.all()) {
            final Set<Arc> arcs = Set.copyOf(MigrationFsm.arcs(flags));
            int interiorSavingStates = 0;
            for (final MigrationState from : flags.states()) {
                for (final MigrationState to : flags.states()) {
                    if (!(MigrationFsm.path(from, to, flags) instanceof Transition.Path p)) {
                        continue;
                    }
                    // uAPI: no saving-group state as an interior step, unless the whole path stays inside the
                    // saving group (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY: the one data session continues).
                    final List<MigrationState> interior = p.states().subList(0, Math.max(0, p.arcs().size() - 1));
                    if (!(from.isSaving() && to.isSaving())) {
                        assertThat(interior).as(flags + " " + p).noneMatch(MigrationState::isSaving);
                    }
                    assertThat(p.arcs().size()).as(flags + " " + p).isEqualTo(bfs(arcs, from, to));
                    interiorSavingStates += (int) interior.stream().filter(MigrationState::isSaving).count();
                }
            }
            // Only PRE_COPY -> PRE_COPY_P2P -> STOP_COPY, with all features.
            assertThat(interiorSavingStates).as(flags.toString()).isEqualTo(flags.equals(MigrationFlags.ALL) ? 1 : 0);
        }
    }

    @Test
    void driversImplementExactlyTheArcsTheUapiLists() {
        for (final MigrationFlags flags : MigrationFlags.all()) {
            final Set<String> expected = Set.of(REQUIRED_ARCS.get(flags.bits()).split(" "));
            final Set<String> actual = MigrationFsm.arcs(flags).stream()
                    .map(a -> abbrev(a.from()) + ">" + abbrev(a.to())).collect(Collectors.toSet());
            assertThat(actual).as(flags.toString()).isEqualTo(expected);
        }
    }

    @Test
    void onlyTheFinalArcOfAPathOpensADataSession() {
        for (final MigrationFlags flags : MigrationFlags.all()) {
            for (final MigrationState from : flags.states()) {
                for (final MigrationState to : flags.states()) {
                    if (MigrationFsm.path(from, to, flags) instanceof Transition.Path p && !p.arcs().isEmpty()) {
                        p.arcs().subList(0, p.arcs().size() - 1).forEach(a -> assertThat(a.session())
                                .as(p.toString()).isNotIn(DataSession.OPENS_SAVING, DataSession.OPENS_RESUMING));
                    }
                }
            }
        }
    }

    @Test
    void blockedArcTerminatesWhereTheKernelLoopWouldSpin() {
        assertThat(MigrationFsm.refusal(MigrationState.STOP_COPY, MigrationState.PRE_COPY, MigrationFlags.PRE_COPY))
                .contains("forbids");
        assertThat(MigrationFsm.refusal(MigrationState.ERROR, MigrationState.RUNNING, MigrationFlags.ALL))
                .contains("reset");
        assertThat(MigrationFsm.refusal(MigrationState.RUNNING, MigrationState.ERROR, MigrationFlags.ALL))
                .contains("cannot be requested");
        assertThat(MigrationFsm.refusal(MigrationState.RUNNING, MigrationState.RUNNING_P2P, MigrationFlags.STOP_COPY))
                .contains("p2p");
    }

    private static int bfs(final Set<Arc> arcs, final MigrationState from, final MigrationState to) {
        final Map<MigrationState, Integer> dist = new HashMap<>(Map.of(from, 0));
        final ArrayDeque<MigrationState> queue = new ArrayDeque<>(List.of(from));
        while (!queue.isEmpty()) {
            final MigrationState at = queue.poll();
            if (at == to) {
                return dist.get(at);
            }
            for (final Arc a : arcs) {
                // A saving state may be walked through only while the path stays in the saving group.
                final boolean through = !a.to().isSaving() || a.to() == to || (from.isSaving() && to.isSaving());
                if (a.from() == at && !dist.containsKey(a.to()) && through) {
                    dist.put(a.to(), dist.get(at) + 1);
                    queue.add(a.to());
                }
            }
        }
        return -1;
    }

    private static String abbrev(final MigrationState s) {
        return ABBREV.entrySet().stream().filter(e -> e.getValue() == s).findFirst().orElseThrow().getKey();
    }

    private static Map<List<MigrationState>, List<MigrationState>> parse(final String grid) {
        final String[] lines = grid.strip().split("\n");
        final String[] header = lines[0].strip().split("\\s+");
        final Map<List<MigrationState>, List<MigrationState>> paths = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            final String[] cells = lines[i].strip().split("\\s+");
            for (int c = 1; c < cells.length; c++) {
                final List<MigrationState> key = List.of(ABBREV.get(cells[0]), ABBREV.get(header[c]));
                switch (cells[c]) {
                    case "X" -> { }
                    case "-" -> paths.put(key, List.of());
                    default -> paths.put(key, new ArrayList<>(Arrays.stream(cells[c].split(">"))
                            .map(ABBREV::get).toList()));
                }
            }
        }
        return paths;
    }
}
