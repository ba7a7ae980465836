package dev.tern.vfio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the parts of a sysfs tree the locator reads, with the kernel's symlink shapes. */
public final class SysfsTree {
    private SysfsTree() {
    }

    /** {@code bus/mdev/devices/UUID -> iommu_group, mdev_type, driver}. */
    public static void mdev(final Path sys, final String uuid, final String type, final int group,
            final String driver) throws IOException {
        final Path dev = Files.createDirectories(sys.resolve("devices/virtual/mtty/mtty").resolve(uuid));
        Files.createDirectories(sys.resolve("bus/mdev/devices"));
        Files.createSymbolicLink(sys.resolve("bus/mdev/devices").resolve(uuid), dev);
        Files.createSymbolicLink(dev.resolve("mdev_type"), Files.createDirectories(
                sys.resolve("devices/virtual/mtty/mtty/mdev_supported_types").resolve(type)));
        link(sys, dev, uuid, group, driver, "bus/mdev/drivers");
    }

    /** {@code bus/pci/devices/ADDR -> vendor, device, iommu_group, driver}. */
    public static void pci(final Path sys, final String addr, final String vendor, final String device,
            final int group, final String driver) throws IOException {
        final Path dev = Files.createDirectories(sys.resolve("devices/pci0000:00").resolve(addr));
        Files.writeString(dev.resolve("vendor"), vendor + "\n");
        Files.writeString(dev.resolve("device"), device + "\n");
        Files.createDirectories(sys.resolve("bus/pci/devices"));
        Files.createSymbolicLink(sys.resolve("bus/pci/devices").resolve(addr), dev);
        link(sys, dev, addr, group, driver, "bus/pci/drivers");
    }

    private static void link(final Path sys, final Path dev, final String name, final int group,
            final String driver, final String drivers) throws IOException {
        final Path g = Files.createDirectories(sys.resolve("kernel/iommu_groups").resolve(Integer.toString(group)));
        Files.createSymbolicLink(dev.resolve("iommu_group"), g);
        Files.createDirectories(g.resolve("devices"));
        Files.createSymbolicLink(g.resolve("devices").resolve(name), dev);
        Files.createSymbolicLink(dev.resolve("driver"), Files.createDirectories(sys.resolve(drivers).resolve(driver)));
    }
}
