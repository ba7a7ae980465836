package dev.tern.migration;

import java.util.ArrayList;
import java.util.List;

/**
 * What happened when: spans of phases per device and round, with bytes. Time comes from a clock passed in (tests
 * control it); spans are recorded by several threads.
 */
public final class Timeline {

    /**
     * One measured interval.
     *
     * @param phase the phase
     * @param subject the device name, {@code memory}, or {@code all}
     * @param round the pre-copy round (0 outside pre-copy)
     * @param startNanos start, relative to the migration's start
     * @param endNanos end, relative to the migration's start
     * @param bytes bytes moved in the span
     */
    public record Span(Phase phase, String subject, int round, long startNanos, long endNanos, long bytes) {
        /** {@return the duration in milliseconds} */
        public double millis() {
            return (endNanos - startNanos) / 1e6;
        }
    }

    private final MigrationClock clock;
    private final long origin;
    private final List<Span> spans = new ArrayList<>();

    /**
     * An empty timeline starting now.
     *
     * @param clock the migration's clock ({@link MigrationClock#SYSTEM} outside tests)
     */
    public Timeline(final MigrationClock clock) {
        this.clock = clock;
        this.origin = clock.nanos();
    }

    /** {@return the clock this timeline reads} */
    public MigrationClock clock() {
        return clock;
    }

    /** {@return the clock's reading at the migration's start: the 0 of every span} */
    public long origin() {
        return origin;
    }

    /** {@return nanoseconds since the migration started} */
    public long now() {
        return clock.nanos() - origin;
    }

    /**
     * Records a span that started at {@code startNanos} (from {@link #now()}) and ends now.
     *
     * @param phase the phase
     * @param subject a device name, or the guest memory
     * @param round the pre-copy round, or 0
     * @param startNanos when the span started
     * @param bytes the bytes it moved
     * @return the span recorded
     */
    public Span record(final Phase phase, final String subject, final int round, final long startNanos,
            final long bytes) {
        final Span s = new Span(phase, subject, round, startNanos, now(), bytes);
        synchronized (spans) {
            spans.add(s);
        }
        return s;
    }

    /** {@return the spans recorded so far, ordered by start time} */
    public List<Span> spans() {
        synchronized (spans) {
            final List<Span> copy = new ArrayList<>(spans);
            copy.sort((a, b) -> Long.compare(a.startNanos(), b.startNanos()));
            return copy;
        }
    }
}
