package dev.tern.cli;

import dev.tern.migration.MigrationOptions;
import dev.tern.migration.SwitchoverPolicy;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The hard downtime budget and what to do when pre-copy cannot meet it (issue 13 item 3), for migrate and demo. */
final class DowntimeOptions {

    @Option(names = "--max-downtime", paramLabel = "MS",
            description = {"Hard downtime budget: before switching over, the downtime is estimated from the measured "
                    + "bandwidth, the remaining device and memory bytes and the measured state-arc times; if the "
                    + "round limit comes with the estimate above this, --on-no-convergence decides. Default: none."})
    Long maxDowntimeMs;

    @Option(names = "--on-no-convergence", paramLabel = "abort|switch", defaultValue = "switch",
            converter = NoConvergenceConverter.class,
            description = {"At the round limit with the estimate over --max-downtime: abort (the source keeps "
                    + "running, intact) or switch over anyway (default: ${DEFAULT-VALUE})."})
    SwitchoverPolicy.NoConvergence onNoConvergence;

    /** @return {@code options} with the budget applied; a clear error if it is below the convergence target */
    MigrationOptions apply(final MigrationOptions options) {
        if (maxDowntimeMs == null) {
            return options.withMaxDowntime(Duration.ZERO, onNoConvergence);
        }
        if (maxDowntimeMs <= 0 || maxDowntimeMs < options.downtimeLimit().toMillis()) {
            throw new CliException("--max-downtime " + maxDowntimeMs + " must be positive and at least "
                    + "--downtime-limit (" + options.downtimeLimit().toMillis() + " ms)");
        }
        return options.withMaxDowntime(Duration.ofMillis(maxDowntimeMs), onNoConvergence);
    }

    /** {@code abort} or {@code switch}, a clear error otherwise. */
    static final class NoConvergenceConverter
            implements picocli.CommandLine.ITypeConverter<SwitchoverPolicy.NoConvergence> {
        @Override
        public SwitchoverPolicy.NoConvergence convert(final String value) {
            try {
                return SwitchoverPolicy.NoConvergence.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (final IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not abort or switch");
            }
        }
    }
}
