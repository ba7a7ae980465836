package dev.tern.cli;

import dev.tern.migration.CommitOutcome;
import dev.tern.migration.CommitResolver;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern resolve}: asks a destination what became of a session after the commit point (issue 9 item 13), the
 * question {@code migrate} asks by itself when its connection dies between COMMIT and COMMITTED. For the operator
 * of a source that was left stopped "in doubt": the answer says which side must run the devices. Asking decides: a
 * session still waiting for its COMMIT is rolled back by the question.
 */
@Command(name = "resolve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Ask a 'tern receive' which side must run the devices of a migration left in doubt.",
            "Give the session id from the source's 'in doubt' line and the same --auth-file / TLS options as the "
                    + "migration. A session still waiting for its COMMIT is rolled back by the question.",
            "Exit status: 0 answered (committed: keep the source stopped; rolled back: resume the source); 1 no "
                    + "answer, or the destination does not know the session (still in doubt); 2 bad arguments."})
final class ResolveCommand implements Callable<Integer> {

    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", converter = HostPort.class,
            description = "Where the 'tern receive' of the migration listens.")
    InetSocketAddress to;

    @Option(names = "--session", required = true, paramLabel = "ID",
            description = "The session id, 16 hex digits, from the source's 'in doubt' message.")
    String session;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SEC",
            description = "How long to keep asking (default: ${DEFAULT-VALUE}).")
    long timeoutSec;

    @Mixin
    TlsOptions tls;

    @Mixin
    AuthOptions auth;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final long id = parseSession(session);
        final Duration timeout = MigrateCommand.timeout(timeoutSec);
        final CommitResolver.Answer answer = CommitResolver.ask(to, id, tls.config(), auth.read(), timeout);
        final String name = String.format("session %016x", id);
        if (answer.outcome().isEmpty()) {
            err.println("tern: " + name + ": no answer from " + HostPort.format(to) + " in " + answer.attempts()
                    + " attempts (" + MigrateCommand.oneLine(answer.lastError()) + "); still in doubt");
            err.flush();
            return 1;
        }
        final CommitOutcome o = answer.outcome().get();
        out.println(name + ": " + o.meaning());
        out.flush();
        return o == CommitOutcome.UNKNOWN ? 1 : 0;
    }

    private static long parseSession(final String text) {
        try {
            if (text.isEmpty() || text.length() > 16) {
                throw new NumberFormatException();
            }
            return Long.parseUnsignedLong(text, 16);
        } catch (final NumberFormatException e) {
            throw new CliException("--session " + text + ": not a session id (up to 16 hex digits)");
        }
    }
}
