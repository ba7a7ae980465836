package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds a kernel VFIO device from what a person types, through sysfs: an mdev UUID
 * ({@code /sys/bus/mdev/devices/UUID}), a PCI address ({@code /sys/bus/pci/devices/0000:03:00.1}, the domain may be
 * omitted), or an IOMMU group number holding one device ({@code /sys/kernel/iommu_groups/N/devices}). A cdev path
 * ({@code /dev/vfio/devices/vfioN}) needs iommufd, which Tern does not drive (Debian's kernel has no IOMMUFD,
 * test-vm.md §3): it is refused with that reason. The sysfs root is a parameter so tests build one in a temp dir.
 */
public final class VfioLocator {

    private static final Pattern UUID = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern PCI = Pattern.compile("([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
    private static final Pattern GROUP = Pattern.compile("[0-9]{1,9}");

    private final Path sys;

    /**
     * A locator reading sysfs under {@code sys} (a test passes a fake tree).
     *
     * @param sys the sysfs root ({@code /sys})
     */
    public VfioLocator(final Path sys) {
        this.sys = sys;
    }

    /**
     * {@return the device {@code dev} names}
     *
     * @param dev an mdev UUID, a PCI address, an IOMMU group number or a cdev path, as typed
     * @throws DeviceException ENODEV for a device that does not exist or has no IOMMU group, EBUSY for one bound to
     * a non-vfio driver, EINVAL for input of no known form, EOPNOTSUPP for a cdev path
     */
    public VfioAddress locate(final String dev) throws DeviceException {
        final String d = dev.strip().toLowerCase(Locale.ROOT);
        if (d.startsWith("/dev/vfio/devices/")) {
            throw new DeviceException(Errno.EOPNOTSUPP, dev + ": a VFIO cdev needs iommufd"
                    + (Files.exists(Path.of("/dev/iommu")) ? "" : " (this kernel has none: no /dev/iommu)")
                    + ", which Tern does not drive; give the mdev UUID or PCI address instead");
        }
        if (UUID.matcher(d).matches()) {
            return mdev(dev, d);
        }
        if (PCI.matcher(d).matches()) {
            return pci(dev, d.length() == 7 ? "0000:" + d : d);
        }
        if (GROUP.matcher(d).matches()) {
            return group(dev, Integer.parseInt(d));
        }
        throw new DeviceException(Errno.EINVAL, "'" + dev + "' is not an mdev UUID, a PCI address (0000:03:00.1), "
                + "an IOMMU group number or a /dev/vfio/devices path");
    }

    private VfioAddress mdev(final String input, final String uuid) throws DeviceException {
        final Path dir = sys.resolve("bus/mdev/devices").resolve(uuid);
        if (!Files.isDirectory(dir)) {
            throw new DeviceException(Errno.ENODEV, "no mdev " + uuid + " (" + dir + " does not exist)");
        }
        final String type = linkName(dir.resolve("mdev_type")).orElse("unknown");
        return new VfioAddress(input, groupOf(dir, "mdev " + uuid), uuid, "mdev:" + type,
                linkName(dir.resolve("driver")).orElse("none"));
    }

    private VfioAddress pci(final String input, final String addr) throws DeviceException {
        final Path dir = sys.resolve("bus/pci/devices").resolve(addr);
        if (!Files.isDirectory(dir)) {
            throw new DeviceException(Errno.ENODEV, "no PCI device " + addr + " (" + dir + " does not exist)");
        }
        final String driver = linkName(dir.resolve("driver")).orElseThrow(() -> new DeviceException(Errno.EBUSY,
                "PCI device " + addr + " is bound to no driver; bind it to vfio-pci first"));
        if (!driver.contains("vfio")) {
            throw new DeviceException(Errno.EBUSY, "PCI device " + addr + " is bound to " + driver
                    + ", not to vfio-pci or a vfio variant driver; rebind it first");
        }
        final String kind = "pci:" + hex4(dir.resolve("vendor")) + ":" + hex4(dir.resolve("device"));
        return new VfioAddress(input, groupOf(dir, "PCI device " + addr), addr, kind, driver);
    }

    private VfioAddress group(final String input, final int group) throws DeviceException {
        final Path devices = sys.resolve("kernel/iommu_groups").resolve(Integer.toString(group)).resolve("devices");
        final List<String> names;
        try (Stream<Path> s = Files.list(devices)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (final IOException e) {
            throw new DeviceException(Errno.ENODEV, "no IOMMU group " + group + " (" + devices + " not readable)");
        }
        if (names.size() != 1) {
            throw new DeviceException(Errno.EINVAL, "IOMMU group " + group + " holds " + names.size()
                    + " devices " + names + "; name one of them");
        }
        return locate(names.getFirst());
    }

    private static int groupOf(final Path dir, final String what) throws DeviceException {
        return linkName(dir.resolve("iommu_group")).filter(GROUP.asMatchPredicate()).map(Integer::parseInt)
                .orElseThrow(() -> new DeviceException(Errno.ENODEV, what + " has no IOMMU group (no "
                        + dir.resolve("iommu_group") + "); is the IOMMU or vfio enabled?"));
    }

    private static java.util.Optional<String> linkName(final Path link) {
        try {
            return java.util.Optional.of(Files.readSymbolicLink(link).getFileName().toString());
        } catch (final IOException | UnsupportedOperationException e) {
            return java.util.Optional.empty();
        }
    }

    private static String hex4(final Path file) {
        try {
            final String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return s.startsWith("0x") ? s.substring(2) : s;
        } catch (final IOException e) {
            return "????";
        }
    }
}
