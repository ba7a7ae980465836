package dev.tern.cli;

import static dev.tern.cli.MigrateCommandTest.assertOneLineError;

import dev.tern.vfio.SysfsTree;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code --vfio} command where VFIO cannot be used (this machine has no /dev/vfio): a sysfs tree built in a
 * temp dir and an empty /dev/vfio stand-in; each failure one line on stderr and exit 2.
 */
@Timeout(60)
class VfioCommandsTest {

    private static final String MDEV = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

    @TempDir
    Path dir;

    private Path sys;
    private Path dev;

    @BeforeEach
    void tree() throws Exception {
        sys = Files.createDirectories(dir.resolve("sys"));
        dev = Files.createDirectories(dir.resolve("dev-vfio"));
        SysfsTree.mdev(sys, MDEV, "mtty-2", 12, "mtty");
        SysfsTree.pci(sys, "0000:00:1f.6", "0x8086", "0x15bc", 9, "e1000e");
    }

    @Test
    void withoutDevVfioEveryCommandSaysWhatIsMissing() {
        final String missing = "cannot open " + dev.resolve("vfio") + " (the VFIO container)";
        assertOneLineError(run("info", "--vfio", MDEV), 2, missing);
        assertOneLineError(run("check", "--vfio", MDEV), 2, missing);
        assertOneLineError(run("save", "--vfio", MDEV, "--to", dir.resolve("s").toString()), 2, missing);
        assertOneLineError(run("migrate", "--to", "127.0.0.1:9", "--vfio", MDEV, "--guest-memory", "1M"), 2,
                missing);
        assertOneLineError(run("receive", "--listen", "127.0.0.1:0", "--vfio", MDEV, "--guest-memory", "1M"), 2,
                missing);
    }

    @Test
    void aContainerNodeThatIsNotVfioIsNamed() throws Exception {
        Files.writeString(dev.resolve("vfio"), "");
        assertOneLineError(run("info", "--vfio", MDEV), 2, "VFIO_GET_API_VERSION failed");
    }

    @Test
    void aDeviceBoundToAnotherDriverUnknownDevicesAndGarbageAreRefused() {
        assertOneLineError(run("info", "--vfio", "0000:00:1f.6"), 2, "bound to e1000e, not to vfio-pci");
        assertOneLineError(run("check", "--vfio", "0000:00:1f.6", MDEV), 2, "bound to e1000e");
        assertOneLineError(run("info", "--vfio", "0000:05:00.0"), 2, "no PCI device 0000:05:00.0");
        assertOneLineError(run("save", "--vfio", "toaster", "--to", dir.resolve("s").toString()), 2,
                "'toaster' is not an mdev UUID");
        assertOneLineError(run("info", "--vfio", "/dev/vfio/devices/vfio0"), 2, "needs iommufd");
        assertOneLineError(run("check", "--vfio", MDEV, MDEV.toUpperCase()), 2, "is listed twice");
    }

    @Test
    void socketAndVfioTogetherAreRefused() {
        assertOneLineError(Cli.run("save", "--vfio", MDEV, "--socket", "x.sock", "--to", "f"), 2,
                "mutually exclusive");
    }

    private Cli.Run run(final String... args) {
        final String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--sysfs-root";
        all[args.length + 1] = sys.toString();
        all[args.length + 2] = "--dev-vfio";
        all[args.length + 3] = dev.toString();
        return Cli.run(all);
    }
}
