package dev.tern.cli;

import dev.tern.migration.MigrationFailedException;
import dev.tern.migration.MigrationOptions;
import dev.tern.migration.MigrationReport;
import dev.tern.demo.Demo;
import dev.tern.demo.DemoConfig;
import dev.tern.demo.DirtyRate;
import dev.tern.migration.report.HtmlReport;
import dev.tern.migration.report.TextReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tern demo}: a live migration of running devices over loopback TCP, verified end to end. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Live-migrate a running dma-engine and uart (and the guest memory they DMA into) over "
                + "loopback TCP with pre-copy, then print the timeline, the downtime and whether every checksum "
                + "matched.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--device-memory", defaultValue = "256MiB", converter = Sizes.class,
            description = "On-device memory of each dma-engine (default: ${DEFAULT-VALUE}).")
    long deviceMemory;

    @Option(names = "--guest-memory", defaultValue = "128MiB", converter = Sizes.class,
            description = "Guest memory on each side (default: ${DEFAULT-VALUE}).")
    long guestMemory;

    @Option(names = "--dirty-rate", defaultValue = "1.0", paramLabel = "PERCENT|RATE",
            converter = DirtyRateConverter.class,
            description = "Percent of device memory rewritten per second in device and guest memory (1.5 or 1.5%), "
                    + "or an absolute rate for each (4MiB/s) (default: ${DEFAULT-VALUE}).")
    DirtyRate dirtyRate;

    /** {@code 1.5}, {@code 1.5%} or {@code 4MiB/s}; a one-line error otherwise. */
    static final class DirtyRateConverter implements picocli.CommandLine.ITypeConverter<DirtyRate> {
        @Override
        public DirtyRate convert(final String value) {
            try {
                return DirtyRate.parse(value);
            } catch (final IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Option(names = "--downtime-limit", defaultValue = "300", paramLabel = "MS",
            description = "Switch over once the rest fits in this many ms (default: ${DEFAULT-VALUE}).")
    long downtimeLimitMs;

    @Option(names = "--no-precopy", description = "Move everything during the downtime.")
    boolean noPrecopy;

    @Option(names = "--devices", defaultValue = "1", paramLabel = "N",
            description = "Number of dma-engines (default: ${DEFAULT-VALUE}); a uart always migrates too.")
    int engines;

    /** The checksums run inside the downtime, on the stopped destination. */
    @picocli.CommandLine.Mixin
    VerifyOptions verify;

    /** --max-downtime, --on-no-convergence (issue 13 item 3). */
    @picocli.CommandLine.Mixin
    DowntimeOptions downtime;

    /** --events FILE|- (issue 13 item 6). */
    @picocli.CommandLine.Mixin
    EventsOption events;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--report", paramLabel = "FILE.html", description = "Also write a self-contained HTML report.")
    Path report;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final DemoConfig config = new DemoConfig(deviceMemory, guestMemory, dirtyRate,
                Duration.ofMillis(downtimeLimitMs), !noPrecopy, engines, DemoConfig.DEFAULT.seed());
        final MigrationOptions options = downtime.apply(MigrationOptions.DEFAULT.withPrecopy(!noPrecopy)
                .withDowntimeLimit(Duration.ofMillis(downtimeLimitMs)).withVerify(verify.mode()));
        final MigrationReport result;
        try {
            result = Demo.run(config, options, line -> {
                err.println("  " + line);
                err.flush();
            }, events.open(out));
        } catch (final MigrationFailedException e) {
            throw new CliException(e.getMessage());
        } finally {
            events.close();
        }
        if (report != null) {
            HtmlReport.write(result, "Tern demo: live migration over loopback TCP", report);
        }
        if (json) {
            out.println(result.toJson());
        } else {
            out.print(TextReport.render(result));
            if (report != null) {
                out.println("report: " + report.toAbsolutePath());
            }
        }
        out.flush();
        return Boolean.FALSE.equals(result.verified()) ? 1 : 0;
    }
}
