package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayoutsTest {
  /** A C expression, the value Java uses for it, and its value on x86-64 Linux with glibc. */
  record Row(String c, long java, long x86) {}

  static final List<Row> ROWS = List.of(
      new Row("sizeof(struct iovec)", Layouts.IOVEC.byteSize(), 16),
      new Row("offsetof(struct iovec, iov_base)", Layouts.IOV_BASE, 0),
      new Row("offsetof(struct iovec, iov_len)", Layouts.IOV_LEN, 8),
      new Row("sizeof(struct msghdr)", Layouts.MSGHDR.byteSize(), 56),
      new Row("offsetof(struct msghdr, msg_name)", Layouts.MSG_NAME, 0),
      new Row("offsetof(struct msghdr, msg_namelen)", Layouts.MSG_NAMELEN, 8),
      new Row("offsetof(struct msghdr, msg_iov)", Layouts.MSG_IOV, 16),
      new Row("offsetof(struct msghdr, msg_iovlen)", Layouts.MSG_IOVLEN, 24),
      new Row("offsetof(struct msghdr, msg_control)", Layouts.MSG_CONTROL, 32),
      new Row("offsetof(struct msghdr, msg_controllen)", Layouts.MSG_CONTROLLEN, 40),
      new Row("offsetof(struct msghdr, msg_flags)", Layouts.MSG_FLAGS, 48),
      new Row("sizeof(struct cmsghdr)", Layouts.CMSGHDR.byteSize(), 16),
      new Row("offsetof(struct cmsghdr, cmsg_len)", Layouts.CMSG_LEN_FIELD, 0),
      new Row("offsetof(struct cmsghdr, cmsg_level)", Layouts.CMSG_LEVEL, 8),
      new Row("offsetof(struct cmsghdr, cmsg_type)", Layouts.CMSG_TYPE, 12),
      new Row("(char *) CMSG_DATA(&probe_cmsg) - (char *) &probe_cmsg", Layouts.CMSG_DATA, 16),
      new Row("CMSG_LEN(0)", Layouts.cmsgLen(0), 16),
      new Row("CMSG_LEN(4)", Layouts.cmsgLen(4), 20),
      new Row("CMSG_SPACE(4)", Layouts.cmsgSpace(4), 24),
      new Row("CMSG_SPACE(8)", Layouts.cmsgSpace(8), 24),
      new Row("CMSG_SPACE(12)", Layouts.cmsgSpace(12), 32),
      new Row("CMSG_SPACE(4 * 253)", Layouts.cmsgSpace(4 * 253), 1032),
      new Row("sizeof(struct pollfd)", Layouts.POLLFD.byteSize(), 8),
      new Row("offsetof(struct pollfd, fd)", Layouts.POLLFD_FD, 0),
      new Row("offsetof(struct pollfd, events)", Layouts.POLLFD_EVENTS, 4),
      new Row("offsetof(struct pollfd, revents)", Layouts.POLLFD_REVENTS, 6),
      new Row("sizeof(struct sockaddr_un)", Layouts.SOCKADDR_UN.byteSize(), 110),
      new Row("offsetof(struct sockaddr_un, sun_family)", Layouts.SUN_FAMILY, 0),
      new Row("offsetof(struct sockaddr_un, sun_path)", Layouts.SUN_PATH, 2),
      new Row("sizeof(((struct sockaddr_un *) 0)->sun_path)", Layouts.UNIX_PATH_MAX, 108),
      new Row("AF_UNIX", Layouts.AF_UNIX, 1),
      new Row("SOCK_STREAM", Layouts.SOCK_STREAM, 1),
      new Row("SOCK_NONBLOCK", Layouts.SOCK_NONBLOCK, 0x800),
      new Row("SOCK_CLOEXEC", Layouts.SOCK_CLOEXEC, 0x80000),
      new Row("SOL_SOCKET", Layouts.SOL_SOCKET, 1),
      new Row("SO_SNDTIMEO", Layouts.SO_SNDTIMEO, 21),
      new Row("sizeof(struct timeval)", Layouts.TIMEVAL.byteSize(), 16),
      new Row("offsetof(struct timeval, tv_sec)", Layouts.TV_SEC, 0),
      new Row("offsetof(struct timeval, tv_usec)", Layouts.TV_USEC, 8),
      new Row("SCM_RIGHTS", Layouts.SCM_RIGHTS, 1),
      new Row("IOV_MAX", Layouts.IOV_MAX, 1024),
      new Row("MSG_TRUNC", Layouts.MSG_TRUNC, 0x20),
      new Row("MSG_CTRUNC", Layouts.MSG_CTRUNC, 0x8),
      new Row("MSG_WAITALL", Layouts.MSG_WAITALL, 0x100),
      new Row("MSG_NOSIGNAL", Layouts.MSG_NOSIGNAL, 0x4000),
      new Row("MSG_CMSG_CLOEXEC", Layouts.MSG_CMSG_CLOEXEC, 0x40000000),
      new Row("SHUT_RD", Layouts.SHUT_RD, 0),
      new Row("SHUT_WR", Layouts.SHUT_WR, 1),
      new Row("SHUT_RDWR", Layouts.SHUT_RDWR, 2),
      new Row("S_IFMT", Layouts.S_IFMT, 0170000),
      new Row("S_IFSOCK", Layouts.S_IFSOCK, 0140000),
      new Row("POLLIN", Layouts.POLLIN, 1),
      new Row("POLLPRI", Layouts.POLLPRI, 2),
      new Row("POLLOUT", Layouts.POLLOUT, 4),
      new Row("POLLERR", Layouts.POLLERR, 8),
      new Row("POLLHUP", Layouts.POLLHUP, 0x10),
      new Row("POLLNVAL", Layouts.POLLNVAL, 0x20),
      new Row("O_NONBLOCK", Layouts.O_NONBLOCK, 0x800),
      new Row("O_CLOEXEC", Layouts.O_CLOEXEC, 0x80000),
      new Row("F_DUPFD_CLOEXEC", Layouts.F_DUPFD_CLOEXEC, 1030),
      new Row("F_GETFL", Layouts.F_GETFL, 3),
      new Row("F_SETFL", Layouts.F_SETFL, 4),
      new Row("F_ADD_SEALS", Layouts.F_ADD_SEALS, 1033),
      new Row("F_GET_SEALS", Layouts.F_GET_SEALS, 1034),
      new Row("F_SEAL_SEAL", Layouts.F_SEAL_SEAL, 1),
      new Row("F_SEAL_SHRINK", Layouts.F_SEAL_SHRINK, 2),
      new Row("F_SEAL_GROW", Layouts.F_SEAL_GROW, 4),
      new Row("F_SEAL_WRITE", Layouts.F_SEAL_WRITE, 8),
      new Row("MFD_CLOEXEC", Layouts.MFD_CLOEXEC, 1),
      new Row("MFD_ALLOW_SEALING", Layouts.MFD_ALLOW_SEALING, 2),
      new Row("MFD_NOEXEC_SEAL", Layouts.MFD_NOEXEC_SEAL, 8),
      new Row("EFD_SEMAPHORE", Layouts.EFD_SEMAPHORE, 1),
      new Row("EFD_NONBLOCK", Layouts.EFD_NONBLOCK, 0x800),
      new Row("EFD_CLOEXEC", Layouts.EFD_CLOEXEC, 0x80000),
      new Row("PROT_READ", Layouts.PROT_READ, 1),
      new Row("PROT_WRITE", Layouts.PROT_WRITE, 2),
      new Row("MAP_SHARED", Layouts.MAP_SHARED, 1),
      new Row("MAP_PRIVATE", Layouts.MAP_PRIVATE, 2),
      new Row("MAP_ANONYMOUS", Layouts.MAP_ANONYMOUS, 0x20),
      new Row("SEEK_DATA", Layouts.SEEK_DATA, 3),
      new Row("SEEK_HOLE", Layouts.SEEK_HOLE, 4),
      new Row("(long) MAP_FAILED", Layouts.MAP_FAILED, -1),
      new Row("EPERM", Errno.EPERM, 1), new Row("ENOENT", Errno.ENOENT, 2),
      new Row("ESRCH", Errno.ESRCH, 3), new Row("EINTR", Errno.EINTR, 4),
      new Row("EIO", Errno.EIO, 5), new Row("ENXIO", Errno.ENXIO, 6),
      new Row("E2BIG", Errno.E2BIG, 7), new Row("EBADF", Errno.EBADF, 9),
      new Row("EAGAIN", Errno.EAGAIN, 11), new Row("EWOULDBLOCK", Errno.EWOULDBLOCK, 11),
      new Row("ENOMEM", Errno.ENOMEM, 12), new Row("EACCES", Errno.EACCES, 13),
      new Row("EFAULT", Errno.EFAULT, 14), new Row("EBUSY", Errno.EBUSY, 16),
      new Row("EEXIST", Errno.EEXIST, 17), new Row("ENODEV", Errno.ENODEV, 19),
      new Row("EINVAL", Errno.EINVAL, 22), new Row("ENFILE", Errno.ENFILE, 23),
      new Row("EMFILE", Errno.EMFILE, 24), new Row("ENOTTY", Errno.ENOTTY, 25),
      new Row("EFBIG", Errno.EFBIG, 27), new Row("ENOSPC", Errno.ENOSPC, 28),
      new Row("ESPIPE", Errno.ESPIPE, 29), new Row("EPIPE", Errno.EPIPE, 32),
      new Row("ERANGE", Errno.ERANGE, 34), new Row("ENAMETOOLONG", Errno.ENAMETOOLONG, 36),
      new Row("ENOSYS", Errno.ENOSYS, 38), new Row("ENOMSG", Errno.ENOMSG, 42),
      new Row("EPROTO", Errno.EPROTO, 71), new Row("EOVERFLOW", Errno.EOVERFLOW, 75),
      new Row("ENOTSOCK", Errno.ENOTSOCK, 88), new Row("EMSGSIZE", Errno.EMSGSIZE, 90),
      new Row("ENOTSUP", Errno.ENOTSUP, 95), new Row("EOPNOTSUPP", Errno.EOPNOTSUPP, 95),
      new Row("EADDRINUSE", Errno.EADDRINUSE, 98), new Row("ECONNRESET", Errno.ECONNRESET, 104),
      new Row("EISCONN", Errno.EISCONN, 106), new Row("ENOTCONN", Errno.ENOTCONN, 107),
      new Row("ETIMEDOUT", Errno.ETIMEDOUT, 110), new Row("ECONNREFUSED", Errno.ECONNREFUSED, 111),
      new Row("EALREADY", Errno.EALREADY, 114), new Row("EINPROGRESS", Errno.EINPROGRESS, 115));

  @Test
  void everyLayoutAndConstantHasItsX8664GlibcValue() {
    assertThat(ROWS).allSatisfy(row -> assertThat(row.java()).as(row.c()).isEqualTo(row.x86()));
  }

  @Test
  void everyLayoutAndConstantMatchesTheCCompiler(@TempDir Path dir) throws Exception {
    assumeTrue(onPath("gcc"), "gcc is not on PATH");
    StringBuilder c = new StringBuilder("""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <limits.h>
        #include <poll.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/eventfd.h>
        #include <sys/mman.h>
        #include <sys/socket.h>
        #include <sys/stat.h>
        #include <sys/time.h>
        #include <sys/uio.h>
        #include <sys/un.h>
        #include <unistd.h>
        #ifndef MFD_NOEXEC_SEAL
        #define MFD_NOEXEC_SEAL 8U /* <linux/memfd.h>, Linux 6.3; older glibc lacks it */
        #endif
        int main(void) {
          struct cmsghdr probe_cmsg;
        """);
    for (int i = 0; i < ROWS.size(); i++) {
      c.append("  printf(\"%d %ld\\n\", ").append(i).append(", (long) (").append(ROWS.get(i).c())
          .append("));\n");
    }
    c.append("  return 0;\n}\n");
    Path source = Files.writeString(dir.resolve("probe.c"), c);
    Path binary = dir.resolve("probe");
    run(dir, "gcc", "-std=c11", "-Wall", "-Werror", "-o", binary.toString(), source.toString());
    Map<Integer, Long> probed = new HashMap<>();
    for (String line : run(dir, binary.toString()).split("\n")) {
      String[] parts = line.split(" ");
      probed.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
    }
    assertThat(probed).hasSize(ROWS.size());
    for (int i = 0; i < ROWS.size(); i++) {
      assertThat(ROWS.get(i).java()).as(ROWS.get(i).c()).isEqualTo(probed.get(i));
    }
  }

  @Test
  void sockaddrUnHoldsFamilyPathAndNulAndHasTheAddrlenSize() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment addr = Layouts.sockaddrUn(arena, Path.of("/run/tern.sock"));
      assertThat(addr.byteSize()).isEqualTo(2 + "/run/tern.sock".length() + 1);
      assertThat(addr.get(JAVA_SHORT, Layouts.SUN_FAMILY)).isEqualTo((short) Layouts.AF_UNIX);
      byte[] path = addr.asSlice(Layouts.SUN_PATH).toArray(JAVA_BYTE);
      assertThat(new String(path, 0, path.length - 1, StandardCharsets.UTF_8)).isEqualTo("/run/tern.sock");
      assertThat(path[path.length - 1]).isZero();
    }
  }

  @Test
  void sockaddrUnRejectsPathsThatDoNotFit() {
    try (Arena arena = Arena.ofConfined()) {
      assertThat(Layouts.sockaddrUn(arena, Path.of("/" + "a".repeat(106))).byteSize()).isEqualTo(110);
      assertThatThrownBy(() -> Layouts.sockaddrUn(arena, Path.of("/" + "a".repeat(107))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("108 bytes")
          .hasMessageContaining("at most 107");
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) return false;
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
    }
    return false;
  }

  private static String run(Path dir, String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command[0]).isTrue();
    assertThat(process.exitValue()).as("%s failed:%n%s", String.join(" ", command), output).isZero();
    return output;
  }
}
