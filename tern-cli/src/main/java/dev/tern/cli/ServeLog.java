package dev.tern.cli;

import dev.tern.json.JsonWriter;
import java.io.PrintStream;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Where {@code tern serve} logs: the libraries log through {@code System.Logger} (backed by java.util.logging), and
 * this routes every record at or above the chosen level to stderr, one line each, as text
 * ({@code TIME LEVEL message}) or, with {@code --json-log}, as one JSON object per line
 * ({@code {"time":…,"level":…,"logger":…,"message":…}}).
 */
final class ServeLog {

    /** {@code --log-level} names, as System.Logger levels map onto java.util.logging. */
    static final Map<String, Level> LEVELS = Map.of("error", Level.SEVERE, "warn", Level.WARNING, "info", Level.INFO,
            "debug", Level.FINE, "trace", Level.FINER);

    private ServeLog() {
    }

    /**
     * @param name one of {@link #LEVELS}' keys
     * @return its level
     * @throws CliException for an unknown name
     */
    static Level level(final String name) {
        final Level l = LEVELS.get(name.toLowerCase(java.util.Locale.ROOT));
        if (l == null) {
            throw new CliException("--log-level must be one of error, warn, info, debug, trace, not '" + name + "'");
        }
        return l;
    }

    /** Installs the handler on the root logger (process-wide: only once arguments are valid). */
    static void install(final Level l, final boolean json, final PrintStream err) {
        LogManager.getLogManager().reset();
        final Logger root = Logger.getLogger("");
        root.setLevel(l);
        final Handler h = new Handler() {
            @Override
            public synchronized void publish(final LogRecord r) {
                if (isLoggable(r)) {
                    err.println(json ? json(r, getFormatter()) : text(r, getFormatter()));
                    err.flush();
                }
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                err.flush();
            }
        };
        h.setFormatter(new Formatter() {
            @Override
            public String format(final LogRecord r) {
                return formatMessage(r);
            }
        });
        h.setLevel(l);
        root.addHandler(h);
    }

    private static String text(final LogRecord r, final Formatter f) {
        return r.getInstant() + " " + name(r.getLevel()) + " " + f.format(r) + thrown(r);
    }

    private static String json(final LogRecord r, final Formatter f) {
        return "{\"time\":" + JsonWriter.quote(r.getInstant().toString()) + ",\"level\":"
                + JsonWriter.quote(name(r.getLevel())) + ",\"logger\":" + JsonWriter.quote(String.valueOf(
                        r.getLoggerName())) + ",\"message\":" + JsonWriter.quote(f.format(r) + thrown(r)) + "}";
    }

    private static String thrown(final LogRecord r) {
        return r.getThrown() == null ? "" : " (" + r.getThrown() + ")";
    }

    /** @return the {@code --log-level} name of a record's level */
    private static String name(final Level level) {
        return LEVELS.entrySet().stream().filter(e -> e.getValue().intValue() <= level.intValue())
                .max(Map.Entry.comparingByValue((a, b) -> Integer.compare(a.intValue(), b.intValue())))
                .map(Map.Entry::getKey).orElse("trace").toUpperCase(java.util.Locale.ROOT);
    }
}
