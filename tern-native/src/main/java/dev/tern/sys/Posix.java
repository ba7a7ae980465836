package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

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
 * <p>Most methods take raw descriptors; higher level code passes {@link Fd#value()} while it holds
 * the {@link Fd}. Wrappers that take a buffer check its bounds; {@link #sendmsg} and {@link
 * #recvmsg} cannot check the raw pointers inside a {@code msghdr}, so their callers vouch for
 * them. Blocking calls are not interruptible by {@link Thread#interrupt()} and pin a virtual
 * thread's carrier while they block.
 */
public final class Posix {
  private Posix() {}

  /**
   * socket(2). Returns the new descriptor.
   *
   * @param domain the address family, e.g. {@link Layouts#AF_UNIX}
   * @param type the socket type or-ed with {@code SOCK_NONBLOCK}/{@code SOCK_CLOEXEC}
   * @param protocol 0 for the family's default
   * @return the new descriptor, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int socket(int domain, int type, int protocol) throws PosixException {
    MemorySegment st = Libc.state();
    int fd;
    try {
      fd = (int) Libc.SOCKET.invokeExact(st, domain, type, protocol);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (fd < 0) throw Libc.fail(st, "socket(domain=" + domain + ", type=" + hex(type) + ")");
    return fd;
  }

  /**
   * socketpair(2). Returns both descriptors.
   *
   * @param domain the address family, {@link Layouts#AF_UNIX}
   * @param type the socket type or-ed with {@code SOCK_NONBLOCK}/{@code SOCK_CLOEXEC}
   * @param protocol 0 for the family's default
   * @return the two connected descriptors, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int[] socketpair(int domain, int type, int protocol) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment sv = arena.allocate(JAVA_INT, 2);
      int rc = (int) Libc.SOCKETPAIR.invokeExact(st, domain, type, protocol, sv);
      if (rc < 0) throw Libc.fail(st, "socketpair(domain=" + domain + ", type=" + hex(type) + ")");
      return sv.toArray(JAVA_INT);
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * bind(2) of an AF_UNIX socket to a filesystem path.
   *
   * @param fd an AF_UNIX socket
   * @param path the path to create; it must not exist
   * @throws PosixException with the errno the call set (EADDRINUSE if the path exists)
   */
  public static void bind(int fd, Path path) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment addr = Layouts.sockaddrUn(arena, path);
      int rc = (int) Libc.BIND.invokeExact(st, fd, addr, (int) addr.byteSize());
      if (rc < 0) throw Libc.fail(st, "bind(fd=" + fd + ", " + path + ")");
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * listen(2).
   *
   * @param fd a bound socket
   * @param backlog the queue length of pending connections
   * @throws PosixException with the errno the call set
   */
  public static void listen(int fd, int backlog) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.LISTEN.invokeExact(st, fd, backlog);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "listen(fd=" + fd + ", backlog=" + backlog + ")");
  }

  /**
   * accept4(2) without the peer address. Returns the connected descriptor.
   *
   * @param fd a listening socket
   * @param flags {@code SOCK_NONBLOCK}/{@code SOCK_CLOEXEC} for the new descriptor
   * @return the connected descriptor, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int accept4(int fd, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      int rc;
      try {
        rc = (int) Libc.ACCEPT4.invokeExact(st, fd, MemorySegment.NULL, MemorySegment.NULL, flags);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (rc >= 0) return rc;
      if (Libc.errno(st) != Errno.EINTR) throw Libc.fail(st, "accept4(fd=" + fd + ")");
    }
  }

  /**
   * connect(2) of an AF_UNIX socket to a filesystem path; EINTR is reported, not retried.
   *
   * @param fd an AF_UNIX socket
   * @param path the listening socket's path
   * @throws PosixException with the errno the call set (ENOENT, ECONNREFUSED, EINTR, ...)
   */
  public static void connect(int fd, Path path) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment addr = Layouts.sockaddrUn(arena, path);
      int rc = (int) Libc.CONNECT.invokeExact(st, fd, addr, (int) addr.byteSize());
      if (rc < 0) throw Libc.fail(st, "connect(fd=" + fd + ", " + path + ")");
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * setsockopt(2) with {@code value} as the option's bytes.
   *
   * @param fd the socket
   * @param level the option level, e.g. {@link Layouts#SOL_SOCKET}
   * @param name the option, e.g. {@link Layouts#SO_SNDTIMEO}
   * @param value the option's bytes
   * @throws PosixException with the errno the call set
   */
  public static void setsockopt(int fd, int level, int name, MemorySegment value) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.SETSOCKOPT.invokeExact(st, fd, level, name, value, (int) value.byteSize());
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "setsockopt(fd=" + fd + ", " + level + ", " + name + ")");
  }

  /**
   * shutdown(2); {@code how} is one of {@link Layouts#SHUT_RD} and friends.
   *
   * @param fd a connected socket
   * @param how which directions to shut
   * @throws PosixException with the errno the call set
   */
  public static void shutdown(int fd, int how) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.SHUTDOWN.invokeExact(st, fd, how);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "shutdown(fd=" + fd + ", how=" + how + ")");
  }

  /**
   * sendmsg(2); the caller vouches for every pointer in {@code msghdr}. Returns bytes sent.
   *
   * @param fd a connected socket
   * @param msghdr a {@link Layouts#MSGHDR}
   * @param flags e.g. {@link Layouts#MSG_NOSIGNAL}
   * @return bytes sent (descriptors travel with the first)
   * @throws PosixException with the errno the call set
   */
  public static long sendmsg(int fd, MemorySegment msghdr, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      long n;
      try {
        n = (long) Libc.SENDMSG.invokeExact(st, fd, msghdr, flags);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (n >= 0) return n;
      if (Libc.errno(st) != Errno.EINTR) throw Libc.fail(st, "sendmsg(fd=" + fd + ")");
    }
  }

  /**
   * recvmsg(2); the caller vouches for every pointer in {@code msghdr}. Returns bytes read.
   *
   * @param fd a connected socket
   * @param msghdr a {@link Layouts#MSGHDR}, updated by the kernel
   * @param flags e.g. {@link Layouts#MSG_CMSG_CLOEXEC}
   * @return bytes read, 0 at end of stream
   * @throws PosixException with the errno the call set
   */
  public static long recvmsg(int fd, MemorySegment msghdr, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      long n;
      try {
        n = (long) Libc.RECVMSG.invokeExact(st, fd, msghdr, flags);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (n >= 0) return n;
      if (Libc.errno(st) != Errno.EINTR) throw Libc.fail(st, "recvmsg(fd=" + fd + ")");
    }
  }

  /**
   * memfd_create(2). Returns the new descriptor.
   *
   * @param name the name shown in {@code /proc/PID/fd} (not a path)
   * @param flags {@code MFD_*} bits
   * @return the new descriptor, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int memfdCreate(String name, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) Libc.MEMFD_CREATE.invokeExact(st, arena.allocateFrom(name), flags);
      if (fd < 0) throw Libc.fail(st, "memfd_create(\"" + name + "\", flags=" + hex(flags) + ")");
      return fd;
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * ftruncate(2).
   *
   * @param fd a regular file or memfd
   * @param length the new size in bytes
   * @throws PosixException with the errno the call set (EPERM when a seal forbids the change)
   */
  public static void ftruncate(int fd, long length) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      int rc;
      try {
        rc = (int) Libc.FTRUNCATE.invokeExact(st, fd, length);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (rc == 0) return;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "ftruncate(fd=" + fd + ", length=" + length + ")");
      }
    }
  }

  /**
   * mmap(2) at an address the kernel picks. Returns a zero-length segment holding the mapping's
   * address; the caller gives it a size and lifetime with {@link MemorySegment#reinterpret}.
   *
   * @param length bytes to map
   * @param prot {@code PROT_*} bits
   * @param flags {@code MAP_*} bits, e.g. {@link Layouts#MAP_SHARED}
   * @param fd the file to map
   * @param offset the file offset, page-aligned
   * @return the mapping's address as a zero-length segment
   * @throws PosixException with the errno the call set
   */
  public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset)
      throws PosixException {
    MemorySegment st = Libc.state();
    MemorySegment addr;
    try {
      addr = (MemorySegment)
          Libc.MMAP.invokeExact(st, MemorySegment.NULL, length, prot, flags, fd, offset);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (addr.address() == Layouts.MAP_FAILED) {
      throw Libc.fail(st, "mmap(fd=" + fd + ", size=" + length + ", offset=" + offset + ")");
    }
    return addr;
  }

  /**
   * madvise(2) of {@code length} bytes at {@code address} (page-aligned).
   *
   * @param address the start, page-aligned
   * @param length bytes
   * @param advice e.g. {@link Layouts#MADV_POPULATE_WRITE}
   * @throws PosixException with the errno the call set
   */
  public static void madvise(long address, long length, int advice) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.MADVISE.invokeExact(st, MemorySegment.ofAddress(address), length, advice);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "madvise(" + hex(address) + ", size=" + length + ", advice=" + advice + ")");
  }

  /**
   * munmap(2) of {@code length} bytes at {@code address}.
   *
   * @param address the mapping's start
   * @param length bytes
   * @throws PosixException with the errno the call set
   */
  public static void munmap(long address, long length) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.MUNMAP.invokeExact(st, MemorySegment.ofAddress(address), length);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "munmap(" + hex(address) + ", size=" + length + ")");
  }

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

  private static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }

  private static void checkBounds(MemorySegment buf, long count) {
    if (count < 0 || count > buf.byteSize()) {
      throw new IndexOutOfBoundsException("count " + count + " outside " + buf);
    }
  }
}
