package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.device.IrqType;
import dev.tern.device.RegionInfo;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.RegionDescription;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.codec.IrqInfo;
import dev.tern.vfiouser.codec.RegionCapability;
import dev.tern.vfiouser.codec.RegionInfoReply;
import dev.tern.vfiouser.codec.Session;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tern info --socket PATH}: connects to any vfio-user server and prints what a person wants to see first:
 * the PCI identity, the negotiated capabilities, migration support, the regions and the IRQ indexes. Read-only: it
 * sends no state change and no reset.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe the device behind a vfio-user socket (--socket) or a kernel VFIO device (--vfio).")
final class InfoCommand implements Callable<Integer> {
    private static final String[] PCI_REGIONS = {"BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG",
        "VGA"};

    static final class Target {
        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The server's socket.")
        Path socket;

        @Option(names = "--vfio", required = true, paramLabel = "DEV",
                description = "A kernel VFIO device: mdev UUID, PCI address or IOMMU group number.")
        String vfio;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Mixin
    VfioRoots roots;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        if (target.vfio != null) {
            return VfioInfo.print(out, roots, target.vfio);
        }
        final Path socket = target.socket;
        try (VfioUserClient c = VfioUserClient.connect(socket, ClientOptions.defaults())) {
            final DeviceInfo info = c.deviceInfo();
            out.printf("socket     %s%n", socket);
            out.printf("protocol   vfio-user %d.%d; %s%n", c.serverVersion().major(), c.session().minor(),
                    capabilities(c));
            out.printf("device     %s; flags %s; %d regions, %d IRQ indexes%n", identity(c, info),
                    deviceFlags(info.flags()), info.numRegions(), info.numIrqs());
            out.printf("migration  %s%n", migration(c));
            out.println("regions    index name    size                flags     mmap areas");
            for (int i = 0; i < info.numRegions(); i++) {
                try (RegionDescription r = c.regionInfo(i)) {
                    final RegionInfoReply ri = r.info();
                    out.printf("           %-5d %-7s %-19s %-9s %s%n", i, regionName(info, i), size(ri.size()),
                            regionFlags(ri.flags()), mmap(r));
                }
            }
            out.println("irqs       index type  count flags");
            for (int i = 0; i < info.numIrqs(); i++) {
                final IrqInfo irq = c.irqInfo(i);
                out.printf("           %-5d %-5s %-5d %s%n", i, irqName(info, i), irq.count(), irqFlags(irq.flags()));
            }
            out.flush();
            return 0;
        } catch (final DeviceException e) {
            throw new CliException(e.getMessage());
        }
    }

    private static String capabilities(final VfioUserClient c) {
        final Session s = c.session();
        final Capabilities server = c.serverVersion().effectiveCapabilities();
        final List<String> tern = new ArrayList<>();
        if (s.tern().p2p()) {
            tern.add("p2p");
        }
        if (s.tern().precopyInfo()) {
            tern.add("precopy_info");
        }
        return "server max_msg_fds " + s.serverMaxMsgFds() + ", max_data_xfer_size " + s.serverMaxDataXferSize()
                + ", pgsizes 0x" + Long.toHexString(s.pgsizes()) + ", max_dma_maps " + s.maxDmaMaps()
                + ", twin_socket " + (s.twinSocket() ? "yes" : "no")
                + s.migrationPgsize().stream().mapToObj(p -> ", migration.pgsize " + p).findFirst().orElse("")
                + (server.tern().isPresent() ? ", Tern extension " + (tern.isEmpty() ? "(none)"
                        : String.join(",", tern)) : "");
    }

    private static String identity(final VfioUserClient c, final DeviceInfo info) {
        if ((info.flags() & DeviceInfo.FLAG_PCI) == 0 || info.numRegions() <= RegionInfo.PCI_CONFIG) {
            return "not PCI";
        }
        try {
            final ByteBuffer cfg = ByteBuffer.wrap(c.readRegion(RegionInfo.PCI_CONFIG, 0, 0x30))
                    .order(ByteOrder.LITTLE_ENDIAN);
            return String.format("PCI %04x:%04x (subsystem %04x:%04x, class %06x, revision %02x)",
                    cfg.getShort(0) & 0xffff, cfg.getShort(2) & 0xffff, cfg.getShort(0x2c) & 0xffff,
                    cfg.getShort(0x2e) & 0xffff, cfg.getInt(8) >>> 8, cfg.get(8) & 0xff);
        } catch (final DeviceException e) {
            return "PCI (config space unreadable: " + Errno.name(e.errno()) + ")";
        }
    }

    private static String migration(final VfioUserClient c) {
        try {
            final DeviceFeature f = c.feature(DeviceFeature.get(Feature.MIGRATION));
            final long bits = f.payload() instanceof FeaturePayload.MigrationFlags m ? m.flags() : 0;
            final DeviceFeature s = c.feature(DeviceFeature.get(Feature.MIG_DEVICE_STATE));
            final String state = s.payload() instanceof FeaturePayload.MigDeviceState d && d.deviceState() >= 0
                    && d.deviceState() < MigrationState.COUNT ? MigrationState.ofUapi(d.deviceState()).name()
                    : "unknown";
            final String flags = (bits & ~7L) == 0 && (bits & 1) != 0 ? new MigrationFlags((int) bits).toString()
                    : "0x" + Long.toHexString(bits);
            return "flags " + flags + "; state " + state;
        } catch (final DeviceException e) {
            return "not supported (" + Errno.name(e.errno()) + ")";
        }
    }

    static String regionName(final DeviceInfo info, final int i) {
        return (info.flags() & DeviceInfo.FLAG_PCI) != 0 && i < PCI_REGIONS.length ? PCI_REGIONS[i] : "-";
    }

    static String irqName(final DeviceInfo info, final int i) {
        return (info.flags() & DeviceInfo.FLAG_PCI) != 0 && i < IrqType.values().length ? IrqType.values()[i].name()
                : "-";
    }

    static String size(final long bytes) {
        if (bytes == 0) {
            return "0";
        }
        final String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (u < units.length - 1 && bytes % (1L << (10 * (u + 1))) == 0) {
            u++;
        }
        return (bytes >> (10 * u)) + " " + units[u] + " (0x" + Long.toHexString(bytes) + ")";
    }

    private static String mmap(final RegionDescription r) {
        final List<String> areas = new ArrayList<>();
        for (final RegionCapability.Area a : r.mmapAreas()) {
            areas.add("0x" + Long.toHexString(a.offset()) + "+0x" + Long.toHexString(a.size()));
        }
        final String fd = (r.info().flags() & RegionInfoReply.FLAG_MMAP) != 0 && r.fd().isEmpty() ? " (no fd sent)"
                : "";
        return areas.isEmpty() ? "-" : String.join(" ", areas) + fd;
    }

    static String deviceFlags(final int flags) {
        return names(flags, new String[] {"RESET", "PCI"});
    }

    static String regionFlags(final int flags) {
        return names(flags, new String[] {"READ", "WRITE", "MMAP", "CAPS"}).replace("READ|WRITE", "RW");
    }

    static String irqFlags(final int flags) {
        return names(flags, new String[] {"EVENTFD", "MASKABLE", "AUTOMASKED", "NORESIZE"});
    }

    static String names(final int flags, final String[] bits) {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < bits.length; i++) {
            if ((flags & (1 << i)) != 0) {
                out.add(bits[i]);
            }
        }
        if ((flags & ~((1 << bits.length) - 1)) != 0) {
            out.add("0x" + Integer.toHexString(flags & ~((1 << bits.length) - 1)));
        }
        return out.isEmpty() ? "-" : String.join("|", out);
    }
}
