package dev.tern.bench.migration;

import dev.tern.migration.MigrationOptions;
import dev.tern.migration.MigrationReport;
import dev.tern.demo.Demo;
import dev.tern.demo.DemoConfig;
import dev.tern.demo.DirtyRate;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Issue 13 figures, a harness (each migration is one measurement): the downtime of the in-process demo at 128 MiB
 * and at 1 GiB of guest memory with the same absolute dirty rate and verification on — target: 1 GiB ≤ 1.2× 128 MiB,
 * since the downtime should follow the dirty set, not the VM's size — and, for every run, the downtime the source
 * estimated before switching over against the one measured. The two sizes alternate run by run (the machine may be
 * shared); medians are reported with every value.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp tern-bench/target/benchmarks.jar
 * dev.tern.bench.migration.DowntimeScaling [--runs N] [--dirty-rate 4MiB/s] [--device-memory MiB]} (defaults 3,
 * 4MiB/s, 64).
 */
public final class DowntimeScaling {

    private static final long SMALL = 128L << 20;
    private static final long LARGE = 1L << 30;

    private DowntimeScaling() {
    }

    /**
     * @param args {@code [--runs N] [--dirty-rate RATE] [--device-memory MiB]}
     * @throws Exception if a migration fails
     */
    public static void main(final String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        int runs = 3;
        DirtyRate rate = DirtyRate.parse("4MiB/s");
        long deviceMiB = 64;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--dirty-rate" -> rate = DirtyRate.parse(args[++i]);
                case "--device-memory" -> deviceMiB = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("usage: DowntimeScaling [--runs N] [--dirty-rate RATE]"
                        + " [--device-memory MiB]; unknown argument " + args[i]);
            }
        }
        System.out.printf("DowntimeScaling: %d run(s) per size, %d MiB dma-engine, dirty %s, verify auto, %d cores,"
                + " Java %s%n", runs, deviceMiB, rate, Runtime.getRuntime().availableProcessors(), Runtime.version());
        final DemoConfig base = DemoConfig.DEFAULT;
        final DemoConfig small = new DemoConfig(deviceMiB << 20, SMALL, rate, base.downtimeLimit(), true, 1,
                base.seed());
        final DemoConfig large = new DemoConfig(deviceMiB << 20, LARGE, rate, base.downtimeLimit(), true, 1,
                base.seed());
        Demo.run(small, MigrationOptions.DEFAULT, line -> { }); // warm-up, not reported
        final double[][] downtime = new double[2][runs];
        final double[][] error = new double[2][runs];
        for (int r = 0; r < runs; r++) {
            for (int s = 0; s < 2; s++) {
                final MigrationReport m = Demo.run(s == 0 ? small : large, MigrationOptions.DEFAULT, line -> { });
                if (!Boolean.TRUE.equals(m.verified())) {
                    throw new IllegalStateException("run " + (r + 1) + " not verified: " + m.verified());
                }
                downtime[s][r] = m.downtimeMs();
                error[s][r] = m.estimateErrorMs();
                System.out.printf("  run %d, %4d MiB guest: downtime %.1f ms, estimated %.1f ms (error %+.1f ms),"
                        + " %d rounds, verified%n", r + 1, (s == 0 ? SMALL : LARGE) >> 20, m.downtimeMs(),
                        m.budget().estimateMs(), m.estimateErrorMs(), m.rounds());
            }
        }
        System.out.printf("%n  %-28s %10s  %s%n", "", "median", "all runs");
        row("downtime, 128 MiB guest", downtime[0], "ms");
        row("downtime, 1 GiB guest", downtime[1], "ms");
        row("estimate error, 128 MiB", error[0], "ms");
        row("estimate error, 1 GiB", error[1], "ms");
        final double[] abs = Arrays.stream(new double[][] {error[0], error[1]}).flatMapToDouble(Arrays::stream)
                .map(Math::abs).toArray();
        row("|estimate error|, all", abs, "ms");
        final double ratio = LoopbackCopy.median(downtime[1]) / LoopbackCopy.median(downtime[0]);
        System.out.printf("  %-28s %10.3f x  target <= 1.2: %s%n", "downtime 1 GiB / 128 MiB", ratio,
                ratio <= 1.2 ? "MET" : "MISSED");
    }

    private static void row(final String name, final double[] values, final String unit) {
        System.out.printf("  %-28s %7.1f %-2s  %s%n", name, LoopbackCopy.median(values), unit, Arrays.stream(values)
                .mapToObj(v -> String.format("%.1f", v)).collect(Collectors.joining(", ")));
    }
}
