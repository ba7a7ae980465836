package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The one place Tern calls libc: a static method per syscall, each a thin wrapper over a {@link
 * MethodHandle} that {@code Libc} looks up once (the style of Lucene's {@code PosixNativeAccess}).
 *
 * <p>Every handle has the linker capture {@code errno} right after the call ({@link
 * Linker.Option#captureCallState}), because the JVM may itself clobber it before Java code could
 * read it; a failure becomes a {@link PosixException}. Calls that can fail with {@code EINTR} and
 * are safe to repeat are repeated; {@code close} (the fd is gone even on EINTR, close(2)), {@code
 * connect} (it continues asynchronously, connect(2)) and {@code poll} (the caller must shorten the
 * timeout, see {@link Poll}) are not.
 *
 * <p>The socket calls (socket(2) … recvmsg(2)) are in {@link PosixSockets} and the memory calls
 * (memfd_create(2), ftruncate(2), mmap(2), madvise(2), munmap(2)) in {@link PosixMemory}, over the
 * same handles.
 *
 * <p>Most methods take raw descriptors; higher level code passes {@link Fd#value()} while it holds
 * the {@link Fd}. Wrappers that take a buffer check its bounds; {@link PosixSockets#sendmsg} and {@link
 * PosixSockets#recvmsg} cannot check the raw pointers inside a {@code msghdr}, so their callers vouch for
 * them. Blocking calls are not interruptible by {@link Thread#interrupt()} and pin a virtual
 * thread's carrier while they block.
 */
public final class Posix {
  private Posix() {}

  /**
   * eventfd(2). Returns the new descriptor.
   *
   * @param initval the counter's initial value
   * @param flags {@code EFD_*} bits
   * @return the new descriptor, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int eventfd(int initval, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    int fd;
    try {
      fd = (int) Libc.EVENTFD.invokeExact(st, initval, flags);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (fd < 0) throw Libc.fail(st, "eventfd(initval=" + initval + ", flags=" + hex(flags) + ")");
    return fd;
  }

  /**
   * poll(2) on {@code nfds} {@link Layouts#POLLFD} entries; returns how many have events, 0 on
   * timeout. EINTR is thrown, not retried: see {@link Poll} for a deadline-keeping loop.
   *
   * @param fds the entries; their {@code revents} are set
   * @param nfds how many entries
   * @param timeoutMillis the longest wait, -1 for none
   * @return how many entries have events, 0 on timeout
   * @throws PosixException with the errno the call set, EINTR included
   */
  public static int poll(MemorySegment fds, long nfds, int timeoutMillis) throws PosixException {
    if (nfds < 0 || nfds * Layouts.POLLFD.byteSize() > fds.byteSize()) {
      throw new IllegalArgumentException(nfds + " pollfd entries do not fit in " + fds);
    }
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.POLL.invokeExact(st, fds, nfds, timeoutMillis);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "poll(nfds=" + nfds + ", timeout=" + timeoutMillis + "ms)");
    return rc;
  }

  /**
   * pread(2): {@code count} bytes at file {@code offset} into {@code buf}. On a memfd, holes read as zeros without
   * allocating pages — unlike a read fault through a shared mapping, which allocates (and zeroes) a page each.
   *
   * @param fd the file
   * @param buf a native segment of at least {@code count} bytes
   * @param count bytes to read
   * @param offset the file offset
   * @return bytes read, 0 at end of file
   * @throws PosixException with the errno the call set (EINTR is retried)
   */
  public static long pread(int fd, MemorySegment buf, long count, long offset) throws PosixException {
    checkBounds(buf, count);
    MemorySegment st = Libc.state();
    while (true) {
      long n;
      try {
        n = (long) Libc.PREAD.invokeExact(st, fd, buf, count, offset);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (n >= 0) return n;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "pread(fd=" + fd + ", count=" + count + ", offset=" + offset + ")");
      }
    }
  }

  /**
   * read(2) of up to {@code count} bytes into {@code buf}, a native segment. 0 means EOF.
   *
   * @param fd the descriptor
   * @param buf a native segment of at least {@code count} bytes
   * @param count bytes to read at most
   * @return bytes read
   * @throws PosixException with the errno the call set (EINTR is retried)
   */
  public static long read(int fd, MemorySegment buf, long count) throws PosixException {
    checkBounds(buf, count);
    MemorySegment st = Libc.state();
    while (true) {
      long n;
      try {
        n = (long) Libc.READ.invokeExact(st, fd, buf, count);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (n >= 0) return n;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "read(fd=" + fd + ", count=" + count + ")");
      }
    }
  }

  /**
   * write(2) of up to {@code count} bytes from {@code buf}, a native segment.
   *
   * @param fd the descriptor
   * @param buf a native segment of at least {@code count} bytes
   * @param count bytes to write at most
   * @return bytes written
   * @throws PosixException with the errno the call set (EINTR is retried)
   */
  public static long write(int fd, MemorySegment buf, long count) throws PosixException {
    checkBounds(buf, count);
    MemorySegment st = Libc.state();
    while (true) {
      long n;
      try {
        n = (long) Libc.WRITE.invokeExact(st, fd, buf, count);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (n >= 0) return n;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "write(fd=" + fd + ", count=" + count + ")");
      }
    }
  }

  /**
   * close(2), never retried: on Linux the descriptor is released even when EINTR is reported.
   *
   * @param fd the descriptor, released whatever the outcome
   * @throws PosixException with the errno the call set
   */
  public static void close(int fd) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.CLOSE.invokeExact(st, fd);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "close(fd=" + fd + ")");
  }

  /**
   * fchmod(2); {@code mode} is the permission bits, e.g. {@code 0600}.
   *
   * @param fd the file or socket
   * @param mode the permission bits
   * @throws PosixException with the errno the call set
   */
  public static void fchmod(int fd, int mode) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      int rc;
      try {
        rc = (int) Libc.FCHMOD.invokeExact(st, fd, mode);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (rc == 0) return;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "fchmod(fd=" + fd + ", mode=0" + Integer.toOctalString(mode) + ")");
      }
    }
  }

  /**
   * pipe2(2). Returns {read end, write end}.
   *
   * @param flags {@code O_CLOEXEC}/{@code O_NONBLOCK}
   * @return {read end, write end}, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int[] pipe2(int flags) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment fds = arena.allocate(JAVA_INT, 2);
      int rc = (int) Libc.PIPE2.invokeExact(st, fds, flags);
      if (rc < 0) throw Libc.fail(st, "pipe2(flags=" + hex(flags) + ")");
      return fds.toArray(JAVA_INT);
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * {@code fcntl(fd, F_DUPFD_CLOEXEC, 0)}: a new close-on-exec descriptor for the same file.
   *
   * @param fd the descriptor to duplicate
   * @return the new descriptor, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int dup(int fd) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.FCNTL.invokeExact(st, fd, Layouts.F_DUPFD_CLOEXEC, 0);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "fcntl(fd=" + fd + ", F_DUPFD_CLOEXEC)");
    return rc;
  }

  /**
   * fcntl(2) with an int argument (F_GETFL, F_SETFL, F_GET_SEALS, F_ADD_SEALS, ...). Returns the
   * call's result.
   *
   * @param fd the descriptor
   * @param cmd the command
   * @param arg its argument (0 where unused)
   * @return the call's result
   * @throws PosixException with the errno the call set
   */
  public static int fcntl(int fd, int cmd, int arg) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      int rc;
      try {
        rc = (int) Libc.FCNTL.invokeExact(st, fd, cmd, arg);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (rc >= 0) return rc;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "fcntl(fd=" + fd + ", cmd=" + cmd + ", " + hex(arg) + ")");
      }
    }
  }

  /**
   * getpid(2); it cannot fail.
   *
   * @return this process's id
   */
  public static int getpid() {
    try {
      return (int) Libc.GETPID.invokeExact();
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * strerror(3) text for {@code errno}, e.g. "No such file or directory"; thread-safe.
   *
   * @param errno an error number
   * @return its text
   */
  public static String strerror(int errno) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(256);
      MemorySegment text = (MemorySegment) Libc.STRERROR_R.invokeExact(errno, buf, buf.byteSize());
      return text.reinterpret(1024).getString(0);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }

  private static void checkBounds(MemorySegment buf, long count) {
    if (count < 0 || count > buf.byteSize()) {
      throw new IndexOutOfBoundsException("count " + count + " outside " + buf);
    }
  }
}
