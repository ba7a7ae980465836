package dev.tern.cli;

import dev.tern.migration.snapshot.SnapshotReader;
import dev.tern.migration.snapshot.SnapshotRecord;
import dev.tern.migration.snapshot.SnapshotRestore;
import dev.tern.vmm.DeviceSide;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern restore}: loads a snapshot file into devices of the same kind. The whole file is checked (digests,
 * kinds, format versions) before any device is touched; each payload's digest is checked again before its device
 * leaves RESUMING. A failed restore resets the devices it touched (none is left in RESUMING).
 */
@Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load a snapshot file written by 'tern save' into devices of the same kind, in the same order.",
            "Exit status: 0 restored and running (or stopped, with --stop); 2 bad arguments, an unreachable device, "
                    + "a damaged file, a file of another device kind, or a device that refused the state (it is "
                    + "reset)."})
final class RestoreCommand implements Callable<Integer> {

    @ArgGroup(exclusive = true, multiplicity = "1")
    DeviceChoice devices;

    @Mixin
    VfioRoots roots;

    @Option(names = "--from", required = true, paramLabel = "FILE", description = "The snapshot file to load.")
    Path from;

    @Option(names = "--stop", description = "Leave the devices in STOP instead of running them.")
    boolean stop;

    @Option(names = "--guest-memory", converter = Sizes.class, paramLabel = "SIZE",
            description = "Guest memory to create and map into the devices at IOVA 0 (default: the size saved in "
                    + "the file, if it holds guest memory); the saved image is written into it before any device "
                    + "runs.")
    Long guestMemory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(from)) {
            throw new CliException("--from " + from + ": no such file");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final OptionalLong memory = guestMemory != null ? OptionalLong.of(guestMemory) : savedMemory();
        try (OpenTargets t = memory.isEmpty() ? OpenTargets.open(devices, roots)
                : OpenTargets.withMemory(devices, roots, memory.getAsLong(), DeviceSide.Role.DESTINATION)) {
            final long start = System.nanoTime();
            final List<SnapshotRecord> records;
            try {
                records = SnapshotRestore.restore(t.devices(), t.memory(), from, stop);
            } catch (final Exception e) {
                throw new CliException("restore failed: " + MigrateCommand.oneLine(e.getMessage())
                        + " [devices now: " + t.states() + "]");
            }
            final long ms = (System.nanoTime() - start) / 1_000_000;
            for (int i = 0; i < records.size(); i++) {
                final SnapshotRecord r = records.get(i);
                out.printf(r.type() == SnapshotRecord.Type.MEMORY
                        ? "restored guest memory: %3$d bytes, digest verified%n"
                        : "restored %s into %s: %d bytes, digest verified%n", r.name(),
                        i < t.devices().size() ? t.devices().get(i).name() : "", r.length());
            }
            out.printf("%s: %d device(s)%s in %d ms; devices now: %s%n", from, t.devices().size(),
                    t.memory().isPresent() ? " + guest memory" : "", ms, t.states());
            out.flush();
            return 0;
        }
    }

    /** @return the size of the file's guest memory record, if it has one (the file is checked fully later) */
    private OptionalLong savedMemory() {
        try (SnapshotReader r = SnapshotReader.open(from)) {
            return r.memoryBytes();
        } catch (final IOException e) {
            throw new CliException("restore failed: " + MigrateCommand.oneLine(e.getMessage()));
        }
    }
}
