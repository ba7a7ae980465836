package dev.tern.cli;

import dev.tern.json.JsonWriter;
import dev.tern.migration.DestinationMigration;
import dev.tern.migration.MigratingDevice;
import dev.tern.migration.MigrationEvent;
import dev.tern.migration.MigrationFailedException;
import dev.tern.migration.MigrationOptions;
import dev.tern.migration.OutcomeStore;
import dev.tern.migration.channel.MigrationListener;
import dev.tern.migration.channel.Session;
import dev.tern.migration.channel.SessionSecret;
import dev.tern.migration.channel.TlsConfig;
import dev.tern.vmm.DeviceSide;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern receive}: the destination of a live migration between vfio-user devices. It connects to fresh
 * devices first (reset, guest memory mapped), so that by the time it says it is listening it can load anything the
 * source sends; then it accepts exactly one migration and exits. A failure before the commit point resets the
 * destination devices; the source then recovers its own.
 */
@Command(name = "receive", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Receive one live migration from 'tern migrate' into devices behind vfio-user sockets "
                + "(--socket) or kernel VFIO devices (--vfio).",
            "Each device is reset first. List the devices in the same order as the source does (devices are paired "
                    + "by position; kind, flags and regions must match), and give both sides the same "
                    + "--guest-memory.",
            "Once ready it prints 'tern: listening on HOST:PORT' on stderr.",
            "Exit status: 0 received, devices RUNNING here; 1 no migration completed (none arrived in time, "
                    + "refused, or failed: the destination devices are reset); 2 bad arguments, an unreachable "
                    + "device or an address that cannot be bound."})
final class ReceiveCommand implements Callable<Integer> {

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = HostPort.class,
            description = "Where to listen; port 0 picks a free port (see the 'listening on' line).")
    InetSocketAddress listen;

    @ArgGroup(exclusive = true, multiplicity = "1")
    DeviceChoice devices;

    @Mixin
    VfioRoots roots;

    @Option(names = "--guest-memory", required = true, converter = Sizes.class, paramLabel = "SIZE",
            description = "Guest memory this side maps into the devices at IOVA 0; must equal the source's.")
    long guestMemory;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SEC",
            description = "How long to wait for the source to connect, and for it at any later step "
                    + "(default: ${DEFAULT-VALUE}).")
    long timeoutSec;

    @Mixin
    TlsOptions tls;

    @Mixin
    AuthOptions auth;

    @Option(names = "--plain-vfio-user", description = "Propose no Tern extension to the servers: drive them as a "
            + "plain vfio-user client would (no P2P, no checksum).")
    boolean plain;

    /** --events FILE|-: this side's events in the source's vocabulary (issue 13). */
    @Mixin
    EventsOption events;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr ('listening on' is still printed).")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final MigrationOptions options = MigrateCommand.options(false, 0, timeoutSec);
        final Optional<TlsConfig> secure = tls.config();
        final Optional<SessionSecret> secret = auth.createOrRead(err);
        // Opened first: a path that cannot be written is a one-line error before anything listens.
        final Consumer<MigrationEvent> sink = events.open(out);
        try (DeviceSide side = Sides.open(devices, roots, guestMemory, DeviceSide.Role.DESTINATION, plain);
                MigrationListener listener = bind(secure, secret)) {
            if (secret.isEmpty() && !listen.getAddress().isLoopbackAddress()) {
                err.println("tern: warning: no --auth-file: anyone who can reach " + HostPort.format(listen)
                        + " can feed this receive its own device state, or abort it");
            }
            final OutcomeStore outcomes = OutcomeStore.standard();
            listener.answerQueries(outcomes);
            err.println("tern: listening on " + HostPort.format(listener.address()));
            err.flush();
            final Session session;
            try {
                session = listener.accept(options.timeout());
            } catch (final SocketTimeoutException e) {
                return fail(err, MigrateCommand.oneLine(e.getMessage()));
            } catch (final IOException e) {
                return fail(err, "accepting on " + HostPort.format(listener.address()) + ": " + e.getMessage());
            }
            final String peer = session.control().peer();
            if (!quiet) {
                err.println("  session from " + peer + (session.control().secure() ? " (TLS)" : "")
                        + (session.control().authenticated() ? " (authenticated)" : ""));
                err.flush();
            }
            final DestinationMigration migration = new DestinationMigration(MigratingDevice.ofAll(side.devices()), side.memory(), options,
                    System::nanoTime);
            migration.outcomes(outcomes);
            migration.onEvent(sink);
            try (OutcomeLinger linger = OutcomeLinger.start(listener, outcomes, session.id(), options.timeout())) {
                return receive(migration, session, linger, side, peer, out, err);
            }
        } finally {
            events.close();
        }
    }

    private int receive(final DestinationMigration migration, final Session session, final OutcomeLinger linger,
            final DeviceSide side, final String peer, final PrintWriter out, final PrintWriter err) {
        if (!quiet) {
            migration.onPhase(phase -> {
                err.println("  phase " + phase);
                err.flush();
            });
        }
        final DestinationMigration.Result result;
        try {
            result = migration.receive(session);
        } catch (final MigrationFailedException e) {
            linger.awaitQuery(err);
            return fail(err, e.getMessage());
        }
        linger.awaitQuery(err);
        if (json) {
            out.println(json(result, peer, MigratingDevice.ofAll(side.devices())));
        } else {
            out.print(text(result, peer, MigratingDevice.ofAll(side.devices())));
        }
        out.flush();
        return 0;
    }

    private MigrationListener bind(final Optional<TlsConfig> secure, final Optional<SessionSecret> secret) {
        try {
            return MigrationListener.bind(listen, secure, secret);
        } catch (final IOException e) {
            throw new CliException("cannot listen on " + HostPort.format(listen) + ": " + e.getMessage());
        }
    }

    private static int fail(final PrintWriter err, final String message) {
        err.println("tern: " + MigrateCommand.oneLine(message));
        err.flush();
        return 1;
    }

    private static String text(final DestinationMigration.Result r, final String peer,
            final List<MigratingDevice> devices) {
        final StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "received from %s in %.1f ms: %s of device state, %s of guest memory%n", peer, r.totalMs(),
                mib(r.deviceBytes()), mib(r.memoryBytes())));
        for (final MigratingDevice d : devices) {
            sb.append(String.format(Locale.ROOT, "  %-16s %-14s %s%n", d.descriptor().name(), d.descriptor().kind(),
                    d.target().state()));
        }
        return sb.toString();
    }

    private static String json(final DestinationMigration.Result r, final String peer,
            final List<MigratingDevice> devices) {
        final StringBuilder sb = new StringBuilder("{\"from\":").append(JsonWriter.quote(peer))
                .append(",\"total_ms\":").append(String.format(Locale.ROOT, "%.3f", r.totalMs()))
                .append(",\"device_bytes\":").append(r.deviceBytes())
                .append(",\"memory_bytes\":").append(r.memoryBytes()).append(",\"devices\":[");
        for (int i = 0; i < devices.size(); i++) {
            final MigratingDevice d = devices.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(JsonWriter.quote(d.descriptor().name())).append(",\"kind\":")
                    .append(JsonWriter.quote(d.descriptor().kind())).append(",\"state\":").append(JsonWriter.quote(d.target().state().name()))
                    .append('}');
        }
        return sb.append("]}").toString();
    }

    private static String mib(final long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

}
