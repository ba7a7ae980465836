package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The socket half of the libc facade ({@link Posix} has the rest): AF_UNIX sockets, their options and
 * sendmsg(2)/recvmsg(2) with ancillary data. Same rules as {@link Posix}: one {@code Libc} handle per
 * call with {@code errno} captured by the linker, failures as {@link PosixException}, EINTR
 * repeated where repeating is safe (not for connect(2), which continues asynchronously). {@link
 * #sendmsg} and {@link #recvmsg} cannot check the raw pointers inside a {@code msghdr}: their
 * callers vouch for them.
 */
public final class PosixSockets {
  private PosixSockets() {}

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
    if (fd < 0) throw Libc.fail(st, "socket(domain=" + domain + ", type=" + Posix.hex(type) + ")");
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
      if (rc < 0) throw Libc.fail(st, "socketpair(domain=" + domain + ", type=" + Posix.hex(type) + ")");
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
   * SO_SNDTIMEO or SO_RCVTIMEO (socket(7)) as a {@code struct timeval}.
   *
   * @param fd the socket
   * @param option {@link Layouts#SO_SNDTIMEO} or {@link Layouts#SO_RCVTIMEO}
   * @param timeout the bound; zero means none, a positive timeout below 1 µs is rounded up (zero
   *     would mean forever)
   * @throws PosixException with the errno setsockopt(2) set
   */
  public static void setTimeout(int fd, int option, Duration timeout) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment tv = arena.allocate(Layouts.TIMEVAL);
      long micros = timeout.isZero() ? 0 : Math.max(1, timeout.toNanos() / 1000);
      tv.set(JAVA_LONG, Layouts.TV_SEC, micros / 1_000_000);
      tv.set(JAVA_LONG, Layouts.TV_USEC, micros % 1_000_000);
      setsockopt(fd, Layouts.SOL_SOCKET, option, tv);
    }
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
}
