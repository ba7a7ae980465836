package dev.tern.cli;

import dev.tern.migration.EventLog;
import dev.tern.migration.MigrationEvent;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * {@code --events FILE|-}: the migration's events as QMP-shaped JSON lines (issue 13 item 6), for migrate, demo and
 * receive.
 */
final class EventsOption implements AutoCloseable {

    @Option(names = "--events", paramLabel = "FILE|-",
            description = {"Write one JSON object per line as the migration proceeds, in QEMU's QMP vocabulary "
                    + "(MIGRATION status, VFIO_MIGRATION device-state) plus Tern's rounds and downtime; - for stdout."})
    String events;

    private PrintWriter file;

    /**
     * @param stdout the command's standard output, for {@code -}
     * @return where the events go (nowhere without the option)
     */
    Consumer<MigrationEvent> open(final PrintWriter stdout) {
        if (events == null) {
            return e -> { };
        }
        if (events.equals("-")) {
            return new EventLog(stdout, Clock.systemUTC());
        }
        final Path path = Path.of(events);
        try {
            file = new PrintWriter(new OutputStreamWriter(Files.newOutputStream(path), StandardCharsets.UTF_8));
        } catch (final IOException | RuntimeException e) {
            throw new CliException("--events " + events + ": cannot write (" + e.getMessage() + ")");
        }
        return new EventLog(file, Clock.systemUTC());
    }

    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
    }
}
