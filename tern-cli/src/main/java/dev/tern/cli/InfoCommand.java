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
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.codec.IrqInfo;
import dev.tern.vfiouser.codec.RegionCapability;
import dev.tern.vfiouser.codec.RegionInfoReply;
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

    @Option(names = "--timeout", defaultValue = "10", paramLabel = "SEC",
            description = "How long to wait for each reply, VERSION included (default ${DEFAULT-VALUE}).")
    long timeoutSec;

    @Option(names = "--plain-vfio-user", description = "Propose no Tern extension: see the server as a plain "
            + "vfio-user client does.")
    boolean plain;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        if (target.vfio != null) {
            return VfioInfo.print(out, roots, target.vfio);
        }
        final Path socket = target.socket;
        try (VfioUserClient c = VfioUserClient.connect(socket, clientOptions(plain, timeoutSec))) {
            final DeviceInfo info = c.deviceInfo();
            out.printf("socket     %s%n", socket);
            out.printf("protocol   vfio-user %d.%d%n", c.serverVersion().major(), c.session().minor());
            out.printf("server     %s%n", ServerCapabilities.describe(c.serverVersion()));
            out.printf("tern       %s%n", ServerCapabilities.tern(c, plain));
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
            final String why = MigrateCommand.oneLine(e.getMessage());
            throw new CliException(why.contains(socket.toString()) ? why : socket + ": " + why);
        }
    }

    /**
     * @param plain      propose no Tern extension
     * @param timeoutSec reply timeout, 1..86400 s
     * @return the client options of {@code info} and {@code check}
     * @throws CliException for a timeout out of range
     */
    static ClientOptions clientOptions(final boolean plain, final long timeoutSec) {
        return Sides.clientOptions(plain).withReplyTimeout(MigrateCommand.timeout(timeoutSec));
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
