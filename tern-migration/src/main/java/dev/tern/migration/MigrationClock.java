package dev.tern.migration;

/**
 * The orchestrator's one source of time: every deadline, rate and span of a migration reads it, so tests drive time
 * explicitly instead of sleeping (the shape of Aeron's {@code Election}, which is handed {@code nowNs}).
 */
@FunctionalInterface
public interface MigrationClock {

    /** The monotonic clock of the JVM. */
    MigrationClock SYSTEM = System::nanoTime;

    /** {@return a monotonic time in nanoseconds (only differences mean anything)} */
    long nanos();
}
