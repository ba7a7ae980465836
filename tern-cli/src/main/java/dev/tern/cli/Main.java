package dev.tern.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tern} command. Every failure a person can cause (bad arguments, a refused request, a device that
 * answers with an error) ends as one line on stderr and exit code 2, never a stack trace.
 */
@Command(name = "tern", mixinStandardHelpOptions = true, version = "tern 0.1.0",
        description = "Live migration of VFIO and vfio-user devices.",
        subcommands = {DemoCommand.class, CheckCommand.class, FsmCommand.class, ServeCommand.class,
            InfoCommand.class, MigrateCommand.class, ReceiveCommand.class, ResolveCommand.class, SaveCommand.class,
            RestoreCommand.class})
public final class Main implements Runnable {

    /** Exit code for invalid input and refused requests. */
    static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the CLI and exits with its code. */
    public static void main(final String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams (tests use this) and returns the exit code. */
    static int execute(final String[] args, final PrintWriter out, final PrintWriter err) {
        final CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("tern: " + firstLine(ex.getMessage()));
            err.flush();
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("tern: " + (ex instanceof IllegalArgumentException || ex instanceof CliException
                    ? firstLine(ex.getMessage()) : ex.getClass().getSimpleName() + ": " + firstLine(ex.getMessage())));
            err.flush();
            return EXIT_USAGE;
        });
        final int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String firstLine(final String message) {
        if (message == null) {
            return "failed";
        }
        final int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }
}
