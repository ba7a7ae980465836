package dev.tern.demo;

import dev.tern.migration.MigrationFailedException;
import dev.tern.migration.SourceMigration;
import java.time.Duration;

/**
 * Keeps the source safe when its process is asked to exit (Ctrl-C, SIGTERM) mid-migration: a shutdown hook aborts
 * the migration and waits for its recovery, so the devices run again before the JVM goes.
 */
public final class AbortOnExit {

    /** How long the hook waits for recovery. */
    static final Duration GRACE = Duration.ofSeconds(20);

    /**
     * A migration step.
     *
     * @param <T> what the step returns
     */
    @FunctionalInterface
    public interface Step<T> {
        /**
         * Runs it.
         *
         * @return the step's result
         * @throws MigrationFailedException if the migration failed
         */
        T run() throws MigrationFailedException;
    }

    private AbortOnExit() {
    }

    /**
     * Runs {@code step} with a shutdown hook that aborts {@code migration} and waits for its recovery.
     *
     * @param <T> what the step returns
     * @param migration the migration the hook aborts
     * @param step the work, usually {@code migration.migrate(...)}
     * @return the step's result
     * @throws MigrationFailedException as the step throws it
     */
    public static <T> T run(final SourceMigration migration, final Step<T> step) throws MigrationFailedException {
        final Thread hook = new Thread(() -> {
            try {
                if (!migration.abort(GRACE)) {
                    System.err.println("tern: interrupted; exiting before the source devices could be recovered");
                } else if (migration.failure() != null) {
                    System.err.println("tern: interrupted: " + migration.failure().getMessage());
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tern-abort-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return step.run();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException e) {
                // Already shutting down: the hook is running and waits for us.
            }
        }
    }
}
