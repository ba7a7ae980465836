package dev.tern.cli;

import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.protocol.Transition;
import dev.tern.protocol.v1.V1Action;
import dev.tern.protocol.v1.V1Plan;
import dev.tern.protocol.v1.V1Policy;
import dev.tern.protocol.v1.V1State;
import dev.tern.protocol.v1.V1Verdict;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code tern fsm …}: the migration state machine of the protocol module, as tables, paths and graphs. */
@Command(name = "fsm", mixinStandardHelpOptions = true,
        description = "Query the VFIO migration state machine (uAPI v2 and the v1 bit model).",
        subcommands = {FsmCommand.Table.class, FsmCommand.PathCmd.class, FsmCommand.V1.class, FsmCommand.Dot.class})
final class FsmCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The feature option shared by the v2 subcommands. */
    static final class Features {
        @Option(names = "--features", paramLabel = "stop-copy[,p2p][,pre-copy]",
                converter = Converters.Flags.class, defaultValue = "stop-copy,p2p,pre-copy",
                description = "The device's migration flags (default: ${DEFAULT-VALUE}).")
        MigrationFlags flags;
    }

    @Command(name = "table", mixinStandardHelpOptions = true,
            description = "The next step for every (from, to) pair of the 8 states.")
    static final class Table implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Features features = new Features();

        @Option(names = "--format", defaultValue = "csv", description = "csv, text or json (default: csv).")
        FsmTableFormat format;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            out.print(format.render(features.flags));
            out.flush();
            return 0;
        }
    }

    @Command(name = "path", mixinStandardHelpOptions = true,
            description = "The arcs a driver walks from one state to another, with their meaning.")
    static final class PathCmd implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FROM", converter = Converters.State.class)
        MigrationState from;

        @Parameters(index = "1", paramLabel = "TO", converter = Converters.State.class)
        MigrationState to;

        @picocli.CommandLine.Mixin
        Features features = new Features();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            final Transition t = MigrationFsm.path(from, to, features.flags);
            if (t instanceof Transition.Refused r) {
                throw new CliException("refused: " + r.reason());
            }
            final PrintWriter out = spec.commandLine().getOut();
            for (final Arc a : ((Transition.Path) t).arcs()) {
                out.printf("%-29s %-17s %s%n", a, a.action(), a.meaning());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "v1", mixinStandardHelpOptions = true,
            description = "Is a v1 device_state write allowed, and which driver actions does it trigger?")
    static final class V1 implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "OLD", converter = Converters.V1.class,
                description = "Bits (011), a number (3) or names (RUNNING|SAVING).")
        V1State from;

        @Parameters(index = "1", paramLabel = "NEW", converter = Converters.V1.class)
        V1State to;

        @Option(names = "--policy", defaultValue = "proposed-2021", converter = Converters.Policy.class,
                description = "proposed-2021 (the 2021 patch table) or permissive (default: ${DEFAULT-VALUE}).")
        V1Policy policy;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            final V1Verdict verdict = policy.check(from, to);
            if (verdict instanceof V1Verdict.Refused r) {
                out.println("refused: " + r.reason());
                out.flush();
                return Main.EXIT_USAGE;
            }
            out.println("allowed");
            final List<V1Action> actions = V1Plan.of(from, to).actions();
            for (int i = 0; i < actions.size(); i++) {
                out.printf("%d. %-30s %s%n", i + 1, actions.get(i), actions.get(i).meaning());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "dot", mixinStandardHelpOptions = true,
            description = "The FSM as Graphviz DOT: the device's states and the arcs its driver implements.")
    static final class Dot implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Features features = new Features();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            out.println("digraph vfio_migration {");
            out.println("  rankdir=LR;");
            out.println("  label=\"VFIO migration FSM, features " + features.flags + "\";");
            for (final MigrationState s : features.flags.states()) {
                out.printf("  %s [shape=%s];%n", s, s.isSaving() ? "box" : "ellipse");
            }
            for (final Arc a : MigrationFsm.arcs(features.flags)) {
                out.printf("  %s -> %s [label=\"%s\"];%n", a.from(), a.to(), a.action());
            }
            out.println("}");
            out.flush();
            return 0;
        }
    }
}
