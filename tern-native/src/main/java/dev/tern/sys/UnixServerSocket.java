package dev.tern.sys;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A listening AF_UNIX stream socket bound to a filesystem path, the server side of vfio-user.
 *
 * <p>Only the owner may connect: the socket is fchmod(2)-ed to {@code 0600} before bind(2), and
 * Linux creates the socket file with the socket inode's mode (minus the umask), so the file is
 * never reachable with broader permissions, not even briefly (connect(2) needs write permission
 * on it, unix(7)).
 *
 * <p>The listening descriptor is non-blocking and waited on with poll(2), so {@link
 * #accept(Duration)} honours its timeout even when a pending connection vanishes between the
 * poll and accept4(2). {@link #close()} from another thread wakes a blocked accept with {@link
 * AsynchronousCloseException}.
 */
public final class UnixServerSocket implements AutoCloseable {
  private static final int OWNER_ONLY = 0600;
  private static final int DEFAULT_BACKLOG = 64;

  private final Fd fd;
  private final Path path;
  /** Identity (device, inode) of the socket file we created, so close never unlinks another's. */
  private final Object fileKey;

  private UnixServerSocket(Fd fd, Path path, Object fileKey) {
    this.fd = fd;
    this.path = path;
    this.fileKey = fileKey;
  }

  /**
   * {@link #listen(Path, int)} with a backlog of 64.
   *
   * @param path where to create the socket
   * @return the listening server
   * @throws IOException as {@link #listen(Path, int)}
   */
  public static UnixServerSocket listen(Path path) throws IOException {
    return listen(path, DEFAULT_BACKLOG);
  }

  /**
   * Binds a new socket to {@code path} and listens. A socket file already at {@code path} that
   * no process listens on (a crashed server's leftover) is replaced; any other existing file,
   * or a live server, fails with EADDRINUSE.
   *
   * @param path where to create the socket
   * @param backlog the queue length of pending connections
   * @return the listening server, the socket file readable and writable by its owner only
   * @throws IOException EADDRINUSE as said, or the errno of socket(2), bind(2) or listen(2)
   */
  public static UnixServerSocket listen(Path path, int backlog) throws IOException {
    Fd fd = new Fd(PosixSockets.socket(Layouts.AF_UNIX,
        Layouts.SOCK_STREAM | Layouts.SOCK_CLOEXEC | Layouts.SOCK_NONBLOCK, 0));
    boolean bound = false;
    try {
      Posix.fchmod(fd.value(), OWNER_ONLY);
      bindReplacingStale(fd.value(), path);
      bound = true;
      PosixSockets.listen(fd.value(), backlog);
      return new UnixServerSocket(fd, path, fileKey(path));
    } catch (IOException | RuntimeException e) {
      fd.close();
      if (bound) Files.deleteIfExists(path);
      throw e;
    }
  }

  /**
   * The path the socket is bound to.
   *
   * @return the path
   */
  public Path path() {
    return path;
  }

  /**
   * The listening descriptor; it stays owned by this server.
   *
   * @return the descriptor
   */
  public Fd fd() {
    return fd;
  }

  /**
   * Waits as long as it takes for a client and returns the connection.
   *
   * @return the connection (blocking, close-on-exec)
   * @throws IOException with the errno accept4(2) set, or {@link java.nio.channels.AsynchronousCloseException} if the
   *     server is closed meanwhile
   */
  public UnixSocket accept() throws IOException {
    return accept(Poll.FOREVER).orElseThrow();
  }

  /**
   * Waits up to {@code timeout} (negative: forever) for a client.
   *
   * @param timeout the longest wait
   * @return the connection (blocking, close-on-exec), or empty if the timeout passed first
   * @throws AsynchronousCloseException if this server is closed while waiting
   */
  public Optional<UnixSocket> accept(Duration timeout) throws IOException {
    boolean forever = timeout.isNegative();
    long deadline = forever ? 0 : System.nanoTime() + Poll.saturatedNanos(timeout);
    int sock = fd.acquire();
    try {
      while (true) {
        Duration left =
            forever ? Poll.FOREVER : Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        int revents = Poll.pollRaw(new int[] {sock}, new int[] {Layouts.POLLIN}, left)[0];
        if (!fd.isOpen()) throw new AsynchronousCloseException();
        if ((revents & Layouts.POLLIN) != 0) {
          try {
            return Optional.of(UnixSocket.wrap(new Fd(PosixSockets.accept4(sock, Layouts.SOCK_CLOEXEC))));
          } catch (PosixException e) {
            if (e.errno() != Errno.EAGAIN) throw e;
          }
        } else if (revents != 0) {
          throw new PosixException("poll(" + this + ")", Errno.EIO,
              "unexpected revents 0x" + Integer.toHexString(revents));
        }
        if (!forever && deadline - System.nanoTime() <= 0) return Optional.empty();
      }
    } finally {
      fd.release();
    }
  }

  /**
   * Stops listening, waking any thread blocked in accept, and removes the socket file if it is
   * still the one this server created. Idempotent.
   */
  @Override
  public void close() {
    if (!fd.isOpen()) return;
    fd.close(UnixSocket::shutdownQuietly);
    try {
      if (Objects.equals(fileKey(path), fileKey)) Files.delete(path);
    } catch (IOException e) {
      // Already gone or replaced: nothing of ours is left to remove.
    }
  }

  @Override
  public String toString() {
    return "UnixServerSocket[" + path + ", " + fd + "]";
  }

  private static void bindReplacingStale(int sock, Path path) throws IOException {
    try {
      PosixSockets.bind(sock, path);
    } catch (PosixException e) {
      if (e.errno() != Errno.EADDRINUSE || !isSocketFile(path)) throw e;
      if (someoneListens(path)) {
        throw new PosixException("bind(fd=" + sock + ", " + path + ")", Errno.EADDRINUSE,
            "another server is listening there");
      }
      Files.deleteIfExists(path);
      PosixSockets.bind(sock, path);
    }
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey();
  }

  private static boolean isSocketFile(Path path) throws IOException {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW_LINKS);
      return (mode & Layouts.S_IFMT) == Layouts.S_IFSOCK;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Probes {@code path} with a non-blocking connect(2): refused means a stale file; success or a
   * full backlog (EAGAIN) means a live server.
   */
  private static boolean someoneListens(Path path) throws PosixException {
    try (Fd probe = new Fd(PosixSockets.socket(Layouts.AF_UNIX,
        Layouts.SOCK_STREAM | Layouts.SOCK_CLOEXEC | Layouts.SOCK_NONBLOCK, 0))) {
      PosixSockets.connect(probe.value(), path);
      return true;
    } catch (PosixException e) {
      return switch (e.errno()) {
        case Errno.ECONNREFUSED, Errno.ENOENT -> false;
        case Errno.EAGAIN -> true;
        default -> throw e;
      };
    }
  }
}
