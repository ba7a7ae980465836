package dev.tern.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A pseudo-terminal pair (pty(7)): Tern keeps the master, a person opens {@link #slavePath()} ({@code screen},
 * {@code minicom}, {@code picocom}), as with QEMU's {@code -chardev pty}. The line is raw (cfmakeraw(3)) so bytes
 * pass unchanged both ways; the master is non-blocking, so a closed slave never blocks the writer.
 *
 * @param master the master side (reads give what is typed on the slave; EIO while no slave is open)
 * @param slavePath e.g. {@code /dev/pts/3}
 */
public record Pty(Fd master, String slavePath) implements AutoCloseable {

  /**
   * Opens a raw, non-blocking pty master and unlocks its slave.
   *
   * @return the master and the slave's path
   * @throws PosixException with the errno of the failed call (posix_openpt, grantpt, unlockpt, ptsname_r,
   *     tcgetattr/tcsetattr)
   */
  public static Pty open() throws PosixException {
    MemorySegment st = Libc.state();
    int fd;
    try {
      // glibc's posix_openpt passes the flags to open("/dev/ptmx"): non-blocking and close-on-exec at once
      fd = (int) Libc.POSIX_OPENPT.invokeExact(st, Layouts.O_RDWR | Layouts.O_NOCTTY | Layouts.O_NONBLOCK
          | Layouts.O_CLOEXEC);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (fd < 0) throw Libc.fail(st, "posix_openpt(O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC)");
    Fd master = new Fd(fd);
    try {
      call(Libc.GRANTPT, fd, "grantpt");
      call(Libc.UNLOCKPT, fd, "unlockpt");
      String path = ptsname(fd);
      makeRaw(fd);
      return new Pty(master, path);
    } catch (PosixException | RuntimeException e) {
      master.close();
      throw e;
    }
  }

  private static void call(java.lang.invoke.MethodHandle h, int fd, String name) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) h.invokeExact(st, fd);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, name + "(fd=" + fd + ")");
  }

  private static String ptsname(int fd) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(128);
      int err;
      try {
        err = (int) Libc.PTSNAME_R.invokeExact(fd, buf, buf.byteSize());
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (err != 0) throw new PosixException("ptsname_r(fd=" + fd + ")", err);
      return buf.getString(0, StandardCharsets.US_ASCII);
    }
  }

  private static void makeRaw(int fd) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment termios = arena.allocate(Layouts.TERMIOS_SIZE, 8);
      MemorySegment st = Libc.state();
      int rc;
      try {
        rc = (int) Libc.TCGETATTR.invokeExact(st, fd, termios);
        if (rc == 0) {
          Libc.CFMAKERAW.invokeExact(termios);
          rc = (int) Libc.TCSETATTR.invokeExact(st, fd, Layouts.TCSANOW, termios);
        }
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (rc < 0) throw Libc.fail(st, "tcgetattr/tcsetattr(fd=" + fd + ", raw)");
    }
  }

  /** Closes the master (the slave sees a hang-up). */
  @Override
  public void close() {
    master.close();
  }
}
