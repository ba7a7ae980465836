package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.migration.snapshot.SnapshotRecord;
import dev.tern.migration.snapshot.SnapshotSave;
import dev.tern.vmm.DeviceSide;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern save}: every device stopped (one consistent cut), its stop-copy stream written to a snapshot file with
 * its identity and SHA-256 (docs/snapshot-format.md), then the devices run again (or, with {@code --stop}, stay
 * stopped). A failure leaves no file and every device running.
 */
@Command(name = "save", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Save the state of devices to a snapshot file (their stop-copy streams, each with its device "
                + "kind, migration flags, length and SHA-256).",
            "Exit status: 0 saved; 2 bad arguments, an unreachable device or a failed save (no file is left)."})
final class SaveCommand implements Callable<Integer> {

    @ArgGroup(exclusive = true, multiplicity = "1")
    DeviceChoice devices;

    @Mixin
    VfioRoots roots;

    @Option(names = "--to", required = true, paramLabel = "FILE", description = "The snapshot file to write.")
    Path to;

    @Option(names = "--stop", description = "Leave the devices stopped after saving (e.g. before moving them).")
    boolean stop;

    @Option(names = "--guest-memory", converter = Sizes.class, paramLabel = "SIZE",
            description = "Guest memory this process owns and maps into the devices at IOVA 0 (as for a migration); "
                    + "the devices' DMA lands there and it is saved too, with the devices stopped.")
    Long guestMemory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final Path dir = to.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CliException("--to " + to + ": no such directory");
        }
        final PrintWriter out = spec.commandLine().getOut();
        try (OpenTargets t = guestMemory == null ? OpenTargets.open(devices, roots)
                : OpenTargets.withMemory(devices, roots, guestMemory, DeviceSide.Role.SOURCE)) {
            final long start = System.nanoTime();
            final List<SnapshotRecord> records;
            try {
                records = SnapshotSave.save(t.devices(), t.memory(), to, stop);
            } catch (final DeviceException | IOException e) {
                final String why = MigrateCommand.oneLine(e.getMessage());
                throw new CliException((why.contains("saved to ") ? why : "save failed, no file written: " + why)
                        + " [devices now: " + t.states() + "]");
            }
            final long ms = (System.nanoTime() - start) / 1_000_000;
            for (final SnapshotRecord r : records) {
                out.printf(r.type() == SnapshotRecord.Type.MEMORY ? "saved guest memory: %4$d bytes, sha256 %5$s%n"
                        : "saved %s (%s, flags 0x%x): %d bytes, sha256 %s%n", r.name(), r.kind(), r.flags(),
                        r.length(), HexFormat.of().formatHex(r.digest(), 0, 8));
            }
            out.printf("%s: %d device(s)%s, %d bytes in %d ms; devices now: %s%n", to, t.devices().size(),
                    t.memory().isPresent() ? " + guest memory" : "", size(to), ms,
                    t.states());
            out.flush();
            return 0;
        }
    }

    private static long size(final Path file) {
        try {
            return Files.size(file);
        } catch (final IOException e) {
            return -1;
        }
    }
}
