package dev.tern.bench.migration;

import dev.tern.migration.MigrationOptions;
import dev.tern.migration.MigrationReport;
import dev.tern.migration.Phase;
import dev.tern.migration.Timeline;
import dev.tern.demo.Demo;
import dev.tern.demo.DemoConfig;
import dev.tern.demo.DirtyRate;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * End-to-end migration figures from the in-process demo (a harness, not JMH: each migration is one measurement),
 * printed as a table with ratios against their targets. Variants alternate run by run (the machine may be shared)
 * and medians are reported with every value.
 * <ol>
 * <li><b>Downtime</b>: {@link MigrationReport#downtimeMs()} of the default demo ({@link DemoConfig#DEFAULT},
 * {@link MigrationOptions#DEFAULT}) with pre-copy, and the same with pre-copy off; ratio pre-copy / no-pre-copy,
 * target &le; 0.1.</li>
 * <li><b>State throughput</b>: a no-pre-copy demo with dirty rate 0, so the STOP_COPY span carries every byte of
 * device state and guest memory; throughput = the span's {@code bytes()} / its duration (source side: device
 * reads, CRC32C records, loopback TCP, while the destination loads in the same process). Baseline: a raw
 * {@code SocketChannel} loopback copy of the same bytes in 1 MiB chunks, one writer and one reader thread (as in
 * {@link ChannelThroughput}); target &ge; 0.7x. Plain records over TCP (ChannelThroughput's method, no device and
 * no memory) are printed for context.</li>
 * <li><b>Parallel devices</b>: four dma-engines, pre-copy off, dirty rate 0; the STOP_COPY span's duration with
 * devices streamed one after another over the same with devices in parallel; target &ge; 1.8x.</li>
 * </ol>
 * Usage: {@code java --enable-native-access=ALL-UNNAMED -cp tern-bench/target/benchmarks.jar
 * dev.tern.bench.migration.MigrationBench [--runs N] [--device-memory MiB] [--parallel-device-memory MiB]}
 * (defaults 3, 256 and 64). GB/s means 10<sup>9</sup> bytes/s.
 */
public final class MigrationBench {
    private static final ByteBuffer PAYLOAD = LoopbackCopy.payload();
    private static final Consumer<String> QUIET = line -> { };
    /** Width of the "all runs" column: room for every run's value. */
    private static int width = 26;

    private MigrationBench() {
    }

    /**
     * @param args {@code [--runs N] [--device-memory MiB] [--parallel-device-memory MiB]}
     * @throws Exception if a migration or a copy fails
     */
    public static void main(final String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        int runs = 3;
        long deviceMiB = DemoConfig.DEFAULT.deviceMemory() >> 20;
        long parallelMiB = 64;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--device-memory" -> deviceMiB = Long.parseLong(args[++i]);
                case "--parallel-device-memory" -> parallelMiB = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("usage: MigrationBench [--runs N] [--device-memory MiB]"
                        + " [--parallel-device-memory MiB]; unknown argument " + args[i]);
            }
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1");
        }
        width = Math.max(26, runs * 6);
        System.out.printf("MigrationBench: %d run(s) per variant, %d cores, Java %s%n", runs,
                Runtime.getRuntime().availableProcessors(), Runtime.version());

        // Warm-up (not reported): JIT the record, channel and device paths once.
        final DemoConfig d = DemoConfig.DEFAULT;
        final MigrationOptions noPrecopy = MigrationOptions.DEFAULT.withPrecopy(false);
        Demo.run(config(d, 32L << 20, 32L << 20, DirtyRate.percent(0), false, 1), noPrecopy, QUIET);
        LoopbackCopy.raw(PAYLOAD, 32L << 20);

        downtime(runs);
        throughput(runs, deviceMiB << 20);
        parallel(runs, parallelMiB << 20);
    }

    /** Figure 1: downtime of the default demo with and without pre-copy. */
    private static void downtime(final int runs) throws Exception {
        final DemoConfig on = DemoConfig.DEFAULT;
        final DemoConfig off = config(on, on.deviceMemory(), on.guestMemory(), on.dirtyRate(), false,
                on.engines());
        final double[] pre = new double[runs];
        final double[] stop = new double[runs];
        int preOk = 0;
        int stopOk = 0;
        for (int r = 0; r < runs; r++) {
            final MigrationReport a = Demo.run(on, MigrationOptions.DEFAULT, QUIET);
            final MigrationReport b = Demo.run(off, MigrationOptions.DEFAULT.withPrecopy(false), QUIET);
            pre[r] = a.downtimeMs();
            stop[r] = b.downtimeMs();
            preOk += Boolean.TRUE.equals(a.verified()) ? 1 : 0;
            stopOk += Boolean.TRUE.equals(b.verified()) ? 1 : 0;
            System.out.printf("  run %d: pre-copy %.1f ms (%d rounds, verified %s), no pre-copy %.1f ms (verified"
                    + " %s)%n", r + 1, pre[r], a.rounds(), a.verified(), stop[r], b.verified());
        }
        header("1. downtime, default demo: %d MiB dma-engine, %d MiB guest, %s dirty, limit %d ms",
                on.deviceMemory() >> 20, on.guestMemory() >> 20, on.dirtyRate(),
                on.downtimeLimit().toMillis());
        row("pre-copy downtime", LoopbackCopy.median(pre), "ms", pre, "verified " + preOk + "/" + runs);
        row("no-pre-copy downtime", LoopbackCopy.median(stop), "ms", stop, "verified " + stopOk + "/" + runs);
        ratio("pre-copy / no-pre-copy", LoopbackCopy.median(pre) / LoopbackCopy.median(stop), "<=", 0.1);
    }

    /** Figure 2: STOP_COPY throughput of a no-pre-copy demo against a raw TCP copy of the same bytes. */
    private static void throughput(final int runs, final long deviceMemory) throws Exception {
        final DemoConfig config = config(DemoConfig.DEFAULT, deviceMemory, DemoConfig.DEFAULT.guestMemory(), DirtyRate.percent(0),
                false, 1);
        final MigrationOptions options = MigrationOptions.DEFAULT.withPrecopy(false);
        final double[] demo = new double[runs];
        final double[] raw = new double[runs];
        final double[] records = new double[runs];
        long bytes = 0;
        int ok = 0;
        for (int r = 0; r < runs; r++) {
            final MigrationReport report = Demo.run(config, options, QUIET);
            final Timeline.Span span = stopCopy(report);
            bytes = span.bytes();
            ok += Boolean.TRUE.equals(report.verified()) ? 1 : 0;
            demo[r] = span.bytes() / (double) (span.endNanos() - span.startNanos());
            raw[r] = LoopbackCopy.raw(PAYLOAD, bytes);
            records[r] = LoopbackCopy.records(PAYLOAD, bytes, Optional.empty());
            System.out.printf("  run %d: migration %.2f GB/s (%d bytes in %.1f ms, verified %s), raw %.2f GB/s,"
                    + " records %.2f GB/s%n", r + 1, demo[r], bytes, span.millis(), report.verified(), raw[r],
                    records[r]);
        }
        header("2. state throughput, no pre-copy, dirty 0: %d MiB dma-engine + %d MiB guest = %.1f MiB in"
                + " STOP_COPY, 1 MiB chunks", deviceMemory >> 20, config.guestMemory() >> 20, bytes / 1048576.0);
        row("migration STOP_COPY", LoopbackCopy.median(demo), "GB/s", demo, "verified " + ok + "/" + runs);
        row("raw SocketChannel copy", LoopbackCopy.median(raw), "GB/s", raw, "same bytes, 1 writer + 1 reader");
        row("records, plain TCP", LoopbackCopy.median(records), "GB/s", records, "context: " + fmt(LoopbackCopy.median(records)
                / LoopbackCopy.median(raw)) + "x raw, no devices");
        ratio("migration / raw", LoopbackCopy.median(demo) / LoopbackCopy.median(raw), ">=", 0.7);
    }

    /** Figure 3: four devices' STOP_COPY in parallel against one after another. */
    private static void parallel(final int runs, final long deviceMemory) throws Exception {
        final DemoConfig config = config(DemoConfig.DEFAULT, deviceMemory, DemoConfig.DEFAULT.guestMemory(), DirtyRate.percent(0),
                false, 4);
        final MigrationOptions par = MigrationOptions.DEFAULT.withPrecopy(false);
        final MigrationOptions ser = par.withParallelDevices(false);
        final double[] p = new double[runs];
        final double[] s = new double[runs];
        int ok = 0;
        for (int r = 0; r < runs; r++) {
            final MigrationReport a = Demo.run(config, par, QUIET);
            final MigrationReport b = Demo.run(config, ser, QUIET);
            p[r] = stopCopy(a).millis();
            s[r] = stopCopy(b).millis();
            ok += (Boolean.TRUE.equals(a.verified()) ? 1 : 0) + (Boolean.TRUE.equals(b.verified()) ? 1 : 0);
            System.out.printf("  run %d: parallel %.1f ms, serial %.1f ms (%d bytes)%n", r + 1, p[r], s[r],
                    stopCopy(a).bytes());
        }
        header("3. 4 dma-engines x %d MiB + %d MiB guest, no pre-copy, dirty 0: STOP_COPY span duration",
                deviceMemory >> 20, config.guestMemory() >> 20);
        row("parallel devices", LoopbackCopy.median(p), "ms", p, "");
        row("one after another", LoopbackCopy.median(s), "ms", s, "verified " + ok + "/" + (2 * runs));
        ratio("serial / parallel", LoopbackCopy.median(s) / LoopbackCopy.median(p), ">=", 1.8);
    }

    private static DemoConfig config(final DemoConfig base, final long device, final long guest, final DirtyRate dirty,
            final boolean precopy, final int engines) {
        return new DemoConfig(device, guest, dirty, base.downtimeLimit(), precopy, engines, base.seed());
    }

    private static Timeline.Span stopCopy(final MigrationReport report) {
        return report.spans().stream().filter(s -> s.phase() == Phase.STOP_COPY).findFirst()
                .orElseThrow(() -> new IllegalStateException("report has no STOP_COPY span"));
    }





    private static String fmt(final double v) {
        return String.format(v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private static void header(final String format, final Object... args) {
        System.out.printf("%n%s%n", String.format(format, args));
        System.out.printf("  %-26s %10s %-5s  %-" + width + "s %s%n", "", "median", "", "all runs", "");
    }

    private static void row(final String name, final double median, final String unit, final double[] all,
            final String note) {
        final String values = Arrays.stream(all).mapToObj(MigrationBench::fmt).collect(Collectors.joining(", "));
        System.out.printf("  %-26s %10s %-5s  %-" + width + "s %s%n", name, fmt(median), unit, values, note);
    }

    private static void ratio(final String name, final double value, final String op, final double target) {
        final boolean met = op.equals("<=") ? value <= target : value >= target;
        System.out.printf("  %-26s %10.3f x      target %s %.1f: %s%n", name, value, op, target,
                met ? "MET" : "MISSED");
    }
}
