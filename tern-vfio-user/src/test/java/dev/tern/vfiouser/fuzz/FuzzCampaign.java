package dev.tern.vfiouser.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Runs a bounded fuzzing campaign and measures what the issue asks to bound: every input within its deadline, no
 * throwable escaping any thread (nor caught by a last-resort guard and logged with a stack trace), heap after GC and
 * open fds sampled ten times. The number of inputs is {@code -Dtern.fuzz.inputs} (the CI default otherwise), the
 * seed {@code -Dtern.fuzz.seed}; figures are printed and appended to {@code target/fuzz-figures.txt}.
 */
public final class FuzzCampaign {
    /** One unit of a campaign: one input, or a batch of them (a connection carrying many messages). */
    @FunctionalInterface
    public interface Input {
        /**
         * @param index the unit's number, 0-based
         * @return how many inputs it ran
         * @throws Exception an unexpected failure (the campaign fails)
         */
        long run(long index) throws Exception;
    }

    /**
     * What a campaign measured.
     *
     * @param target      the fuzzed target
     * @param inputs      inputs run
     * @param time        wall time
     * @param heapMiB     used heap after GC at the start, the largest sample, and at the end
     * @param fds         open fds at the start, the largest sample, and at the end
     * @param slowest     the slowest input's time
     * @param failures    throwables that escaped a thread or were logged with a stack trace, and deadline misses
     */
    public record Figures(String target, long inputs, Duration time, long[] heapMiB, long[] fds, Duration slowest,
            List<String> failures) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %,d inputs in %.1f s (%,.0f/s), slowest %d ms, heap after GC %d"
                    + " -> peak %d -> %d MiB, fds %d -> peak %d -> %d, failures %d", target, inputs,
                    time.toMillis() / 1000.0, inputs * 1000.0 / Math.max(1, time.toMillis()), slowest.toMillis(),
                    heapMiB[0], heapMiB[1], heapMiB[2], fds[0], fds[1], fds[2], failures.size());
        }
    }

    private FuzzCampaign() {
    }

    /** @return {@code -Dtern.fuzz.inputs}, or {@code ciDefault} */
    public static long inputs(final long ciDefault) {
        return Long.getLong("tern.fuzz.inputs", ciDefault);
    }

    /** @return {@code -Dtern.fuzz.seed}, or a fixed default so that CI runs are reproducible */
    public static long seed() {
        return Long.getLong("tern.fuzz.seed", 20_261_129L);
    }

    /**
     * @param target   name for the figures
     * @param inputs   how many inputs
     * @param deadline per unit
     * @param input    runs one unit
     * @return the figures
     */
    public static Figures run(final String target, final long inputs, final Duration deadline, final Input input)
            throws Exception {
        final List<String> failures = new CopyOnWriteArrayList<>();
        final Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> failures.add("uncaught in " + t.getName() + ": " + e));
        final Logger tern = Logger.getLogger("dev.tern");
        final Handler guard = new Handler() {
            @Override
            public void publish(final LogRecord r) {
                if (r.getThrown() != null && r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    failures.add("logged with a stack trace: " + r.getMessage() + ": " + r.getThrown());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        tern.addHandler(guard);
        final Level level = tern.getLevel();
        tern.setLevel(Level.WARNING); // the server logs every error reply at INFO: millions of lines otherwise
        final long[] heap = {usedHeapAfterGcMiB(), 0, 0};
        final java.util.Set<String> fdsAtStart = fdTargets();
        final long[] fds = {openFds(), 0, 0};
        heap[1] = heap[0];
        fds[1] = fds[0];
        long slowest = 0;
        long done = 0;
        final long t0 = System.nanoTime();
        try {
            long nextSample = inputs / 10;
            for (long i = 0; done < inputs; i++) {
                final long s = System.nanoTime();
                done += input.run(i);
                final long took = System.nanoTime() - s;
                slowest = Math.max(slowest, took);
                if (took > deadline.toNanos()) {
                    failures.add("unit " + i + " took " + took / 1_000_000 + " ms, deadline " + deadline.toMillis());
                }
                if (done >= nextSample) {
                    nextSample += inputs / 10;
                    heap[1] = Math.max(heap[1], usedHeapAfterGcMiB());
                    fds[1] = Math.max(fds[1], openFds());
                }
            }
        } finally {
            tern.setLevel(level);
            tern.removeHandler(guard);
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        final Duration time = Duration.ofNanos(System.nanoTime() - t0);
        heap[2] = usedHeapAfterGcMiB();
        fds[2] = openFds();
        final Figures f = new Figures(target, done, time, heap, fds, Duration.ofNanos(slowest), List.copyOf(failures));
        record(f);
        final java.util.Set<String> added = fdTargets();
        added.removeAll(fdsAtStart);
        if (!added.isEmpty()) {
            System.out.println("  fds opened during the campaign and still open: " + added);
        }
        return f;
    }

    /** @return heap in use after a full GC, MiB */
    public static long usedHeapAfterGcMiB() {
        final Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }

    /** @return descriptors open in this process ({@code /proc/self/fd}) */
    public static long openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return "fd -> what it refers to" of every open descriptor */
    private static java.util.Set<String> fdTargets() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            final java.util.Set<String> out = new java.util.TreeSet<>();
            s.forEach(p -> {
                try {
                    out.add(p.getFileName() + " -> " + Files.readSymbolicLink(p));
                } catch (final IOException e) {
                    // closed meanwhile (the directory stream's own fd)
                }
            });
            return out;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void record(final Figures f) {
        System.out.println("fuzz " + f);
        f.failures().stream().limit(10).forEach(x -> System.out.println("  " + x));
        try {
            Files.writeString(Path.of("target", "fuzz-figures.txt"), f + System.lineSeparator(),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (final IOException e) {
            System.out.println("cannot record the figures: " + e.getMessage());
        }
    }
}
