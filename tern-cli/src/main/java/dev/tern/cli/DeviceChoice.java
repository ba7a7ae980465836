package dev.tern.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Which devices a command works on: vfio-user servers ({@code --socket}) or kernel VFIO devices ({@code --vfio}). */
final class DeviceChoice {

    @Option(names = "--socket", required = true, arity = "1..*", paramLabel = "PATH",
            description = "vfio-user sockets of the devices, in order.")
    List<Path> sockets;

    @Option(names = "--vfio", required = true, arity = "1..*", paramLabel = "DEV",
            description = "Kernel VFIO devices, in order: an mdev UUID, a PCI address (0000:03:00.1) or an IOMMU "
                    + "group number.")
    List<String> vfio;

    /** @return how many devices were named */
    int count() {
        return sockets != null ? sockets.size() : vfio.size();
    }

    /** @return "vfio-user" or "kernel VFIO", for messages and reports */
    String transport() {
        return sockets != null ? "vfio-user" : "kernel VFIO";
    }
}
