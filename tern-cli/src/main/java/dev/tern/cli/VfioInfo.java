package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.device.RegionInfo;
import dev.tern.sys.Errno;
import dev.tern.vfio.KernelMigrationTarget;
import dev.tern.vfio.KernelRegion;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfio.VfioDevice;
import dev.tern.vfiouser.codec.DeviceInfo;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * {@code tern info --vfio DEV}: what sysfs and the device fd say about a kernel VFIO device — where it was found,
 * its PCI identity, migration flags and state, the optional migration calls it answers, its regions and IRQs.
 * Read-only: no state change, no reset (the DMA-logging trial starts and stops logging on one page).
 */
final class VfioInfo {
    private VfioInfo() {
    }

    static int print(final PrintWriter out, final VfioRoots roots, final String dev) {
        final VfioAddress a = roots.locate(List.of(dev)).getFirst();
        final VfioDevice d = roots.device(a);
        try {
            final int[] info = d.info();
            final DeviceInfo di = new DeviceInfo(DeviceInfo.SIZE, info[0], info[1], info[2]);
            out.printf("device     %s (%s), IOMMU group %d, driver %s%n", a.name(), a.kind(), a.group(), a.driver());
            out.printf("identity   %s; flags %s; %d regions, %d IRQ indexes%n", identity(d, di),
                    InfoCommand.deviceFlags(info[0]), info[1], info[2]);
            regions(out, d, di);
            migration(out, d);
            out.flush();
            return 0;
        } catch (final DeviceException e) {
            throw new CliException(dev + ": " + MigrateCommand.oneLine(e.getMessage()));
        } finally {
            d.close();
        }
    }

    private static void regions(final PrintWriter out, final VfioDevice d, final DeviceInfo di) {
        out.println("regions    index name    size                flags     offset");
        for (int i = 0; i < di.numRegions(); i++) {
            try {
                final KernelRegion r = d.region(i);
                out.printf("           %-5d %-7s %-19s %-9s 0x%x%s%n", i, InfoCommand.regionName(di, i),
                        InfoCommand.size(r.size()), InfoCommand.regionFlags(r.flags()), r.offset(), caps(r));
            } catch (final DeviceException e) {
                out.printf("           %-5d %-7s not reported (%s)%n", i, InfoCommand.regionName(di, i),
                        Errno.name(e.errno()));
            }
        }
        out.println("irqs       index type  count flags");
        for (int i = 0; i < di.numIrqs(); i++) {
            // A driver may refuse indexes it does not implement (mtty: EINVAL past MSI): shown, not fatal.
            try {
                final int[] irq = d.irq(i);
                out.printf("           %-5d %-5s %-5d %s%n", i, InfoCommand.irqName(di, i), irq[1],
                        InfoCommand.irqFlags(irq[0]));
            } catch (final DeviceException e) {
                out.printf("           %-5d %-5s not reported (%s)%n", i, InfoCommand.irqName(di, i),
                        Errno.name(e.errno()));
            }
        }
    }

    /** Last, since a device without migration support is closed by the failed open. */
    private static void migration(final PrintWriter out, final VfioDevice d) {
        final KernelMigrationTarget t;
        try {
            t = KernelMigrationTarget.open(d);
        } catch (final DeviceException | RuntimeException e) {
            out.printf("migration  not supported: %s%n", MigrateCommand.oneLine(e.getMessage()));
            return;
        }
        out.printf("migration  flags %s; state %s%n", t.flags(), t.state());
        out.printf("optional   MIG_DATA_SIZE %s; PRECOPY_INFO %s; MIG_PRECOPY_INFOv2 %s; DMA logging %s; "
                + "checksum no (kernel devices have none)%n", dataSize(t),
                t.capabilities().precopyInfo() ? "yes" : "no (no PRE_COPY)",
                t.precopyInfoV2() ? "yes" : "absent", t.loggingNote().isEmpty() ? "yes" : t.loggingNote());
    }

    private static String dataSize(final KernelMigrationTarget t) {
        if (!t.capabilities().stopCopySize()) {
            return "absent";
        }
        try {
            return t.stopCopySize() + " bytes";
        } catch (final DeviceException e) {
            return "fails (" + Errno.name(e.errno()) + ")";
        }
    }

    private static String identity(final VfioDevice d, final DeviceInfo di) {
        if ((di.flags() & DeviceInfo.FLAG_PCI) == 0 || di.numRegions() <= RegionInfo.PCI_CONFIG) {
            return "not PCI";
        }
        try {
            final ByteBuffer cfg = ByteBuffer.wrap(d.read(d.region(RegionInfo.PCI_CONFIG), 0, 0x30))
                    .order(ByteOrder.LITTLE_ENDIAN);
            return String.format("PCI %04x:%04x (class %06x, revision %02x)", cfg.getShort(0) & 0xffff,
                    cfg.getShort(2) & 0xffff, cfg.getInt(8) >>> 8, cfg.get(8) & 0xff);
        } catch (final DeviceException e) {
            return "PCI (config space unreadable: " + Errno.name(e.errno()) + ")";
        }
    }

    private static String caps(final KernelRegion r) {
        final StringBuilder s = new StringBuilder();
        if (r.type() != null) {
            s.append(" type ").append(r.type()[0]).append('/').append(r.type()[1]);
        }
        for (final long[] area : r.sparseAreas()) {
            s.append(" mmap 0x").append(Long.toHexString(area[0])).append("+0x").append(Long.toHexString(area[1]));
        }
        return s.toString();
    }
}
