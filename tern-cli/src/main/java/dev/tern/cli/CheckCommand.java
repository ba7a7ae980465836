package dev.tern.cli;

import dev.tern.conformance.CheckResult;
import dev.tern.conformance.ConformanceKit;
import dev.tern.conformance.Subject;
import dev.tern.device.DeviceCatalog;
import dev.tern.vfio.VfioAddress;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern check}: runs the conformance kit against a device — a line per check, then {@code N passed, N failed};
 * exit 1 if any check failed. The device is an in-process sample or, with {@code --socket}, whatever serves
 * vfio-user there (one client per socket, so the round trips need several servers of the same device).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check a device against the VFIO migration uAPI: every state request, save/load round trip, "
                + "failing arcs, misuse.",
            "With --socket the device is reached over vfio-user: any spec-conformant server (Tern's, libvfio-user's). "
                    + "Give two or more sockets serving the same device for the round trips (one server serves one "
                    + "client; with one socket they are skipped). Checks that need a Tern extension (checksum, "
                    + "PRECOPY_INFO, fault injection via 'tern serve --fault-injection') are skipped where the "
                    + "server does not offer it. Every check resets the devices it opens and leaves them RUNNING, "
                    + "so never point it at devices in use."})
final class CheckCommand implements Callable<Integer> {

    static final class Target {
        @Option(names = "--device", paramLabel = "NAME", required = true,
                description = "An in-process device: uart, dma-engine, or another device factory on the "
                        + "class path.")
        String device;

        @Option(names = "--socket", paramLabel = "PATH", required = true, arity = "1..*",
                description = "vfio-user sockets serving the same device (repeat, or list several).")
        List<Path> sockets;

        @Option(names = "--vfio", paramLabel = "DEV", required = true, arity = "1..*",
                description = "Kernel VFIO devices of one kind (mdev UUID, PCI address, group); give two or three "
                        + "for the checks that hold a source and a destination. Every check resets them.")
        List<String> vfio;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Mixin
    VfioRoots roots;

    @Option(names = "--timeout", defaultValue = "60", paramLabel = "SEC",
            description = "With --socket: how long to wait for each reply, VERSION included (default "
                    + "${DEFAULT-VALUE}).")
    long timeoutSec;

    @Option(names = "--plain-vfio-user", description = "With --socket: propose no Tern extension, and check the "
            + "device as a plain vfio-user client sees it.")
    boolean plain;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final List<CheckResult> results = new ArrayList<>();
        ConformanceKit.run(subject(), r -> {
            results.add(r);
            out.println(r);
            out.flush();
        });
        out.println(ConformanceKit.summary(results));
        out.flush();
        return results.stream().allMatch(CheckResult::passed) ? 0 : 1;
    }

    private Subject subject() {
        if (target.vfio != null) {
            final List<VfioAddress> devices = roots.locate(target.vfio);
            for (final VfioAddress a : devices) {
                roots.open(a).close();  // one clear line (exit 2) for a device nobody can open, before the kit
            }
            return new KernelSubject(devices, roots.dev);
        }
        if (target.sockets != null) {
            return new SocketSubject(target.sockets, InfoCommand.clientOptions(plain, timeoutSec));
        }
        return ConformanceKit.forFactory(DeviceCatalog.find(target.device).orElseThrow(() -> new CliException(
                "unknown device '" + target.device + "' (expected one of " + String.join(", ", DeviceCatalog.names())
                        + ")")));
    }
}
