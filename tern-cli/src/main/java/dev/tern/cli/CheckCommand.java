package dev.tern.cli;

import dev.tern.device.conformance.CheckResult;
import dev.tern.device.conformance.ConformanceKit;
import dev.tern.device.sample.SampleDevices;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern check}: runs the conformance kit against a device — a line per check, then {@code N passed, N failed};
 * exit 1 if any check failed.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check a device against the VFIO migration uAPI: every state request, save/load round trip, "
                + "failing arcs, misuse.")
final class CheckCommand implements Callable<Integer> {

    static final class Target {
        @Option(names = "--device", paramLabel = "NAME", required = true,
                description = "An in-process sample device: uart or dma-engine.")
        String device;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!SampleDevices.names().contains(target.device)) {
            throw new CliException("unknown device '" + target.device + "' (expected one of "
                    + String.join(", ", SampleDevices.names()) + ")");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final List<CheckResult> results = new ArrayList<>();
        ConformanceKit.run(ConformanceKit.forSample(target.device), r -> {
            results.add(r);
            out.println(r);
            out.flush();
        });
        out.println(ConformanceKit.summary(results));
        out.flush();
        return results.stream().allMatch(CheckResult::passed) ? 0 : 1;
    }
}
