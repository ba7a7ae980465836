package dev.tern.cli;

import dev.tern.demo.AbortOnExit;
import dev.tern.migration.MigratingDevice;
import dev.tern.migration.MigrationFailedException;
import dev.tern.migration.MigrationOptions;
import dev.tern.migration.MigrationReport;
import dev.tern.migration.SourceMigration;
import dev.tern.migration.SourceOutcome;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.migration.report.HtmlReport;
import dev.tern.migration.report.TextReport;
import dev.tern.vmm.DeviceSide;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern migrate}: the source of a live migration between vfio-user devices. This process plays the source
 * VMM: it maps its guest memory into every device (so their DMA is tracked), then runs {@link SourceMigration}
 * against a {@code tern receive} on the destination host. A failure before the commit point puts every source device
 * back to RUNNING with its state; the one-line error says whether that worked.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Live-migrate running devices (vfio-user sockets with --socket, kernel VFIO devices with "
                + "--vfio) to a 'tern receive' on HOST:PORT.",
            "List the devices in the same order as the destination does (devices are paired by position), and give "
                    + "both sides the same --guest-memory.",
            "Exit status: 0 migrated, and no checksum differed (see 'verified'); 1 the migration failed and "
                    + "every source device runs again with its state intact (or, not reset, not verifiable), or a "
                    + "checksum differed; 2 bad arguments or an unreachable device; 3 the migration failed and some "
                    + "source device's state is lost or unknown (reset, changed, or not running again). The last "
                    + "line on stderr gives each source device as read back after recovery."},
        footer = {"", "Example:",
            "  dst$ tern receive --listen 0.0.0.0:7000 --socket d0.sock d1.sock --guest-memory 1G",
            "  src$ tern migrate --to dst:7000 --socket s0.sock s1.sock --guest-memory 1G"})
final class MigrateCommand implements Callable<Integer> {

    /** Exit code: the migration failed and some source device's state is lost or unknown. */
    static final int EXIT_STATE_LOST = 3;

    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", converter = HostPort.class,
            description = "Where 'tern receive' listens.")
    InetSocketAddress to;

    @ArgGroup(exclusive = true, multiplicity = "1")
    DeviceChoice devices;

    @Mixin
    VfioRoots roots;

    @Option(names = "--guest-memory", required = true, converter = Sizes.class, paramLabel = "SIZE",
            description = "Guest memory this side maps into the devices at IOVA 0; the destination's must be equal.")
    long guestMemory;

    @Option(names = "--no-precopy", description = "Move everything during the downtime.")
    boolean noPrecopy;

    @Option(names = "--downtime-limit", defaultValue = "300", paramLabel = "MS",
            description = "Switch over once the rest fits in this many ms (default: ${DEFAULT-VALUE}).")
    long downtimeLimitMs;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SEC",
            description = "How long to wait for the destination at any step before failing and recovering "
                    + "(default: ${DEFAULT-VALUE}).")
    long timeoutSec;

    @Mixin
    VerifyOptions verify;

    /** --max-downtime, --on-no-convergence (issue 13 item 3). */
    @Mixin
    DowntimeOptions downtime;

    /** --events FILE|- (issue 13 item 6). */
    @Mixin
    EventsOption events;

    @Option(names = "--plain-vfio-user", description = "Propose no Tern extension to the servers: drive them as a "
            + "plain vfio-user client would (no PRECOPY_INFO, MIG_DATA_SIZE, P2P or checksum).")
    boolean plain;

    @Mixin
    TlsOptions tls;

    @Mixin
    AuthOptions auth;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--report", paramLabel = "FILE.html", description = "Also write a self-contained HTML report.")
    Path report;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (to.getPort() == 0) {
            throw new CliException("--to " + HostPort.format(to) + ": port 0 is not a destination");
        }
        final MigrationOptions options = downtime.apply(options(noPrecopy, downtimeLimitMs, timeoutSec)
                .withVerify(verify.mode()));
        if (report != null && !Files.isDirectory(report.toAbsolutePath().getParent())) {
            throw new CliException("--report " + report + ": no such directory");
        }
        final Optional<TlsConfig> secure = tls.config();
        final Optional<SessionSecret> secret = auth.read();
        final MigrationReport result;
        try (DeviceSide side = Sides.open(devices, roots, guestMemory, DeviceSide.Role.SOURCE, plain)) {
            final SourceMigration migration = new SourceMigration(MigratingDevice.ofAll(side.devices()), side.memory(),
                    SourceMigration.Guest.NONE, options, System::nanoTime);
            migration.onEvent(events.open(out));
            if (!quiet) {
                migration.onProgress(line -> {
                    err.println("  " + line);
                    err.flush();
                });
            }
            try {
                result = AbortOnExit.run(migration, () -> migration.migrate(to, secure, secret));
            } catch (final MigrationFailedException e) {
                return failed(e, out, err);
            } finally {
                events.close();
            }
        }
        // The result first: the devices have moved whatever happens to the report file.
        if (json) {
            out.println(result.toJson());
        } else {
            out.print(TextReport.render(result));
        }
        out.flush();
        if (report != null) {
            try {
                HtmlReport.write(result, "Tern: live migration of " + devices.count() + " " + devices.transport()
                        + " device(s) to "
                        + HostPort.format(to), report);
            } catch (final IOException e) {
                throw new CliException("migrated, but cannot write the report " + report + ": " + e.getMessage());
            }
            if (!json) {
                out.println("report: " + report.toAbsolutePath());
                out.flush();
            }
        }
        return Boolean.FALSE.equals(result.verified()) ? 1 : 0;
    }

    /**
     * Reports a failed migration: one line on stderr with each source device as read back after recovery (and, with
     * --json, the same as data on stdout).
     *
     * @return {@link #EXIT_STATE_LOST} if some source device's state is lost or unknown, else 1
     */
    private int failed(final MigrationFailedException e, final PrintWriter out, final PrintWriter err) {
        if (json) {
            out.println("{\"failed\":true,\"phase\":\"" + e.phase() + "\",\"state_lost\":" + e.stateLost()
                    + ",\"source_devices\":[" + String.join(",", e.sourceDevices().stream()
                            .map(SourceOutcome::toJson).toList()) + "]}");
            out.flush();
        }
        err.println("tern: " + oneLine(e.getMessage()) + " [source devices running: "
                + (e.sourceRecovered() ? "yes" : "no") + (e.stateLost() ? ", state LOST or unknown" : "") + "]");
        err.flush();
        return e.stateLost() ? EXIT_STATE_LOST : 1;
    }

    /** The options both sides build from the command line. */
    static MigrationOptions options(final boolean noPrecopy, final long downtimeLimitMs, final long timeoutSec) {
        if (downtimeLimitMs < 0) {
            throw new CliException("--downtime-limit must not be negative");
        }
        return MigrationOptions.DEFAULT.withPrecopy(!noPrecopy).withDowntimeLimit(Duration.ofMillis(downtimeLimitMs))
                .withTimeout(timeout(timeoutSec));
    }

    /**
     * @param timeoutSec a command's {@code --timeout}
     * @return it as a duration
     * @throws CliException unless it is 1..86400 s
     */
    static Duration timeout(final long timeoutSec) {
        if (timeoutSec <= 0 || timeoutSec > 86_400) {
            throw new CliException("--timeout must be 1..86400 seconds");
        }
        return Duration.ofSeconds(timeoutSec);
    }

    /** @return the first line of {@code message}, the CLI's error format */
    static String oneLine(final String message) {
        return message == null ? "failed" : message.lines().findFirst().orElse("failed").strip();
    }
}
