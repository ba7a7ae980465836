package dev.tern.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * The guest's initramfs: busybox (from the guest root) and an {@code /init} that mounts proc, sysfs and devtmpfs,
 * prints {@link #BEGIN}, runs {@code /test.sh}, prints {@link #END} with its exit status and powers off (QEMU runs
 * with {@code -no-reboot}, so the VM ends). More files can be added (kernel modules, a 9p root's helpers).
 */
public final class Initramfs {

    /** Marker printed before the guest script runs. */
    public static final String BEGIN = "TERN-IT-BEGIN";
    /** Marker printed after it, followed by {@code rc=N}. */
    public static final String END = "TERN-IT-END";

    private static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t devtmpfs devtmpfs /dev
            mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
            echo %1$s
            sh /test.sh
            echo "%2$s rc=$?"
            poweroff -f
            """.formatted(BEGIN, END);

    private final NewcArchive archive = new NewcArchive();

    /**
     * @param root the guest root providing busybox
     * @param script the guest script (busybox sh), run as {@code /test.sh}
     */
    public Initramfs(final GuestRoot root, final String script) throws IOException {
        for (final String dir : new String[] {"/bin", "/sbin", "/usr", "/usr/bin", "/usr/sbin", "/dev", "/proc",
            "/sys", "/tmp", "/etc"}) {
            archive.directory(dir);
        }
        archive.charDevice("/dev/console", 0600, 5, 1);
        archive.charDevice("/dev/null", 0666, 1, 3);
        archive.file("/bin/busybox", 0755, Files.readAllBytes(root.path().resolve("bin/busybox")));
        archive.file("/init", 0755, INIT.getBytes(StandardCharsets.UTF_8));
        archive.file("/test.sh", 0755, script.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a file (a kernel module, a helper script); its parent directories must exist. */
    public Initramfs file(final String path, final int permissions, final byte[] data) {
        archive.file(path, permissions, data);
        return this;
    }

    /** Adds a directory. */
    public Initramfs directory(final String path) {
        archive.directory(path);
        return this;
    }

    /** @return the newc archive */
    public byte[] bytes() {
        return archive.finish();
    }
}
