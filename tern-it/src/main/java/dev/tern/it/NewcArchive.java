package dev.tern.it;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A cpio archive in the "newc" format the Linux kernel unpacks as an initramfs
 * ({@code Documentation/driver-api/early-userspace/buffer-format.rst}). Built in memory, so no host {@code cpio} and
 * no root privileges are needed for device nodes.
 *
 * <p>Entry layout: the 6-byte magic {@code 070701}, thirteen 8-digit hex fields (ino, mode, uid, gid, nlink, mtime,
 * filesize, devmajor, devminor, rdevmajor, rdevminor, namesize including the NUL, check = 0), the name and its NUL
 * padded to a multiple of 4, then the data padded to a multiple of 4. The archive ends with {@code TRAILER!!!}.
 */
public final class NewcArchive {

    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int nextInode = 1;

    /** Adds a directory (parents first: the kernel does not create them). */
    public NewcArchive directory(final String path) {
        return entry(path, S_IFDIR | 0755, 0, 0, new byte[0]);
    }

    /** Adds a regular file. */
    public NewcArchive file(final String path, final int permissions, final byte[] data) {
        return entry(path, S_IFREG | permissions, 0, 0, data);
    }

    /** Adds a symbolic link to {@code target}. */
    public NewcArchive symlink(final String path, final String target) {
        return entry(path, S_IFLNK | 0777, 0, 0, target.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a character device node. */
    public NewcArchive charDevice(final String path, final int permissions, final int major, final int minor) {
        return entry(path, S_IFCHR | permissions, major, minor, new byte[0]);
    }

    /** @return the archive with its trailer */
    public byte[] finish() {
        entry("TRAILER!!!", 0, 0, 0, new byte[0]);
        return out.toByteArray();
    }

    private NewcArchive entry(final String path, final int mode, final int rdevMajor, final int rdevMinor,
            final byte[] data) {
        final byte[] name = (path.startsWith("/") ? path.substring(1) : path).getBytes(StandardCharsets.UTF_8);
        final int nlink = (mode & S_IFDIR) == S_IFDIR ? 2 : 1;
        final int[] fields = {nextInode++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor,
            name.length + 1, 0};
        final StringBuilder h = new StringBuilder("070701");
        for (final int f : fields) {
            h.append(String.format("%08x", f));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(name);
        out.write(0);
        pad();
        out.writeBytes(data);
        pad();
        return this;
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
