package dev.tern.sys;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A connected AF_UNIX stream socket that carries bytes and file descriptors (SCM_RIGHTS, unix(7)),
 * the transport of vfio-user.
 *
 * <p>Data goes straight between the kernel and native segments (a mapped region, a direct
 * buffer): no copy on the Java side. Heap memory passes through a bounce buffer of at most 1 MiB.
 *
 * <p>One thread may send while another receives. Concurrent senders are serialised so each {@code
 * send} stays contiguous on the stream; concurrent receivers are serialised too. {@link #close()}
 * from another thread shuts the socket down, which wakes a blocked receiver with {@link
 * AsynchronousCloseException}.
 */
public final class UnixSocket implements AutoCloseable {
  /**
   * The result of a receive: data bytes stored, 0 meaning the peer closed its end, and the
   * descriptors that came with them, now owned by the caller (close-on-exec).
   *
   * @param bytes data bytes stored, 0 at end of stream
   * @param fds the descriptors received, owned by the caller
   */
  public record Received(long bytes, List<Fd> fds) {
    /** Copies the descriptor list, so the record is immutable. */
    public Received {
      fds = List.copyOf(fds);
    }

    /**
     * Whether the peer had closed (or shut down) its sending side and no data came.
     *
     * @return true for 0 bytes
     */
    public boolean isEof() {
      return bytes == 0;
    }
  }

  /**
   * Both ends of a socketpair(2).
   *
   * @param first one end
   * @param second the other end
   */
  public record Pair(UnixSocket first, UnixSocket second) implements AutoCloseable {
    @Override
    public void close() {
      try {
        first.close();
      } finally {
        second.close();
      }
    }
  }

  private final Fd fd;
  /** The sends, serialised by its lock, and their native scratch. */
  private final SocketSender sender = new SocketSender();
  /** The receive half: its lock and native scratch. */
  private final SocketReceiver receiver = new SocketReceiver();

  private UnixSocket(Fd fd) {
    this.fd = fd;
  }

  /**
   * Treats {@code fd}, a connected AF_UNIX stream socket, as a UnixSocket; takes ownership.
   *
   * @param fd the socket
   * @return the socket, owning {@code fd}
   */
  public static UnixSocket wrap(Fd fd) {
    return new UnixSocket(fd);
  }

  /**
   * Connects to the server listening on {@code path}.
   *
   * @param path the server's socket file
   * @return the connected socket (blocking, close-on-exec)
   * @throws PosixException ENOENT if nothing is bound there, ECONNREFUSED if no one listens,
   *     EACCES without write permission on the socket file
   */
  public static UnixSocket connect(Path path) throws PosixException {
    Fd fd = new Fd(PosixSockets.socket(Layouts.AF_UNIX, Layouts.SOCK_STREAM | Layouts.SOCK_CLOEXEC, 0));
    try {
      PosixSockets.connect(fd.value(), path);
      return new UnixSocket(fd);
    } catch (PosixException | RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /**
   * Connects, waiting at most {@code timeout} for room in the server's listen backlog. connect(2) to a server that
   * does not accept (libvfio-user listens with a backlog of 0 and serves one client) otherwise blocks for good;
   * the kernel bounds that wait by the send timeout, which is set for the connect and cleared again afterwards.
   *
   * @param path the server's socket file
   * @param timeout the longest wait for room in the backlog
   * @return the connected socket (blocking, close-on-exec)
   * @throws PosixException EAGAIN if the backlog stayed full for {@code timeout}; otherwise as {@link
   *     #connect(Path)}
   */
  public static UnixSocket connect(Path path, Duration timeout) throws PosixException {
    Fd fd = new Fd(PosixSockets.socket(Layouts.AF_UNIX, Layouts.SOCK_STREAM | Layouts.SOCK_CLOEXEC, 0));
    try {
      SocketOptions.sendTimeout(fd, timeout);
      PosixSockets.connect(fd.value(), path);
      SocketOptions.sendTimeout(fd, Duration.ZERO);
      return new UnixSocket(fd);
    } catch (PosixException | RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /**
   * SO_RCVTIMEO: a recvmsg(2) that waits longer than {@code timeout} for data fails with EAGAIN
   * (zero: no bound). For a receiver that polls for the first byte of a message ({@link
   * #awaitReadable}) and must not wait forever for the rest.
   *
   * @param timeout the bound, at least a microsecond unless zero
   * @throws PosixException if setsockopt(2) fails
   */
  public void setReceiveTimeout(Duration timeout) throws PosixException {
    SocketOptions.receiveTimeout(fd, timeout);
  }

  /**
   * Waits until a receive would not block (data, end of stream or an error), for at most {@code
   * nanos}.
   *
   * @param nanos how long to wait; 0 or less only checks
   * @return true if readable
   * @throws PosixException if poll(2) fails
   */
  public boolean awaitReadable(long nanos) throws PosixException {
    return receiver.awaitReadable(fd, nanos);
  }

  /**
   * SO_SNDBUF and SO_RCVBUF (socket(7)). On an AF_UNIX stream socket the sender's SO_SNDBUF bounds what a
   * peer may have queued unread, so a buffer above the largest message lets a whole message leave in one
   * sendmsg(2) while the peer is still reading the previous one. The kernel doubles the value for its
   * bookkeeping and caps it at {@code net.core.wmem_max}/{@code rmem_max} silently.
   *
   * @param bytes the size requested for both buffers
   * @throws PosixException with the errno setsockopt(2) set
   */
  public void setBufferSizes(int bytes) throws PosixException {
    SocketOptions.bufferSizes(fd, bytes);
  }

  /**
   * A connected pair of sockets (socketpair(2)), e.g. for a child process or a test.
   *
   * @return both ends
   * @throws PosixException with the errno socketpair(2) set
   */
  public static Pair pair() throws PosixException {
    int[] sv = PosixSockets.socketpair(Layouts.AF_UNIX, Layouts.SOCK_STREAM | Layouts.SOCK_CLOEXEC, 0);
    return new Pair(new UnixSocket(new Fd(sv[0])), new UnixSocket(new Fd(sv[1])));
  }

  /**
   * The socket's descriptor; it stays owned by this UnixSocket.
   *
   * @return the descriptor
   */
  public Fd fd() {
    return fd;
  }

  /**
   * Sends all of {@code data} and, with its first byte, {@code fds}.
   *
   * @param data the bytes, all of them
   * @param fds descriptors to pass, still owned by the caller
   * @throws IOException as {@link #send(List, List)}
   */
  public void send(MemorySegment data, Fd... fds) throws IOException {
    send(List.of(data), List.of(fds));
  }

  /**
   * Sends the remaining bytes of {@code data}, advancing its position, and {@code fds}.
   *
   * @param data the bytes, from position to limit
   * @param fds descriptors to pass, still owned by the caller
   * @throws IOException as {@link #send(List, List)}
   */
  public void send(ByteBuffer data, Fd... fds) throws IOException {
    send(MemorySegment.ofBuffer(data), fds);
    data.position(data.limit());
  }

  /**
   * Sends the segments back to back (gather I/O, so a header and a payload need no copy) and
   * attaches {@code fds} to the first sendmsg(2); later calls after a partial write carry only
   * data. {@code MSG_NOSIGNAL}: a closed peer yields EPIPE, not SIGPIPE. The descriptors remain
   * the caller's: the kernel duplicates them into the peer.
   *
   * @param data the segments, all of their bytes in order
   * @param fds descriptors to pass with the first byte
   * @throws IllegalArgumentException if more than {@link Layouts#SCM_MAX_FD} fds are given, or fds
   *     without data (a stream socket needs at least one byte to carry them)
   * @throws IOException with the errno sendmsg(2) set (EPIPE if the peer closed), or {@link
   *     java.nio.channels.AsynchronousCloseException} if this socket was closed meanwhile
   */
  public void send(List<MemorySegment> data, List<Fd> fds) throws IOException {
    sender.send(fd, data, fds);
  }

  /**
   * Sends every unsent byte of {@code vector} (gather I/O straight from its pieces; partial writes
   * continue where they stopped, trimming the vector as it goes). No descriptors, {@code
   * MSG_NOSIGNAL}.
   *
   * @param vector the pieces, all sent when this returns normally
   * @throws IOException as {@link #send(List, List)}; EFAULT if a piece's memory was unmapped
   */
  public void send(IoVector vector) throws IOException {
    sender.send(fd, vector);
  }

  /**
   * One recvmsg(2) into {@code dst}: returns as soon as some bytes arrived, which may be fewer
   * than {@code dst} holds (a message boundary on the sender's side, or a partial write).
   *
   * @param maxFds descriptors accepted with these bytes, at most {@link Layouts#SCM_MAX_FD}
   * @param dst receives the bytes
   * @return the bytes stored and the descriptors received
   * @throws ControlTruncatedException if the peer attached more than {@code maxFds}
   * @throws AsynchronousCloseException if another thread closed this socket meanwhile
   */
  public Received receive(MemorySegment dst, int maxFds) throws IOException {
    List<Fd> fds = new ArrayList<>(0);
    return new Received(receive(dst, 0, dst.byteSize(), maxFds, fds), fds);
  }

  /**
   * One recvmsg(2) into {@code dst[offset, offset + length)} that allocates nothing unless
   * descriptors come: the bytes are the return value, the descriptors are appended to {@code fds}.
   *
   * @param dst receives the bytes
   * @param offset where in {@code dst}
   * @param length at most this many bytes
   * @param maxFds descriptors accepted with these bytes, at most {@link Layouts#SCM_MAX_FD}
   * @param fds receives the descriptors, now owned by the caller (close-on-exec)
   * @return the bytes stored, 0 when the peer closed its end
   * @throws IOException as {@link #receive(MemorySegment, int)}
   */
  public long receive(MemorySegment dst, long offset, long length, int maxFds, List<Fd> fds)
      throws IOException {
    return receiver.receive(fd, dst, offset, length, maxFds, fds);
  }

  /**
   * {@link #receive(MemorySegment, int)} into the remaining space of {@code dst}.
   *
   * @param dst receives the bytes; its position advances
   * @param maxFds descriptors accepted with these bytes
   * @return the bytes stored and the descriptors received
   * @throws IOException as {@link #receive(MemorySegment, int)}
   */
  public Received receive(ByteBuffer dst, int maxFds) throws IOException {
    Received r = receive(MemorySegment.ofBuffer(dst), maxFds);
    dst.position(dst.position() + (int) r.bytes());
    return r;
  }

  /**
   * Receives until {@code dst} is full, with at most {@code maxFds} descriptors in total across
   * the reads. A peer that closes before sending anything is a clean end of stream between
   * messages and is reported as {@link Received#isEof()}.
   *
   * @param dst receives the bytes, all of it
   * @param maxFds descriptors accepted in total
   * @return the bytes stored and the descriptors received
   * @throws EOFException if the peer closes after part of {@code dst} arrived (received fds are
   *     closed)
   * @throws ControlTruncatedException if the peer attached more than {@code maxFds}
   */
  public Received receiveExactly(MemorySegment dst, int maxFds) throws IOException {
    List<Fd> fds = new ArrayList<>(0);
    return new Received(receiveExactly(dst, 0, dst.byteSize(), maxFds, fds), fds);
  }

  /**
   * {@link #receiveExactly(MemorySegment, int)} into {@code dst[offset, offset + length)},
   * allocating nothing unless descriptors come (appended to {@code fds}; on an exception those
   * of this call are closed and removed).
   *
   * @param dst receives the bytes
   * @param offset where in {@code dst}
   * @param length all of these bytes
   * @param maxFds descriptors accepted in total
   * @param fds receives the descriptors, now owned by the caller
   * @return {@code length}, or 0 if the peer closed before the first byte
   * @throws IOException as {@link #receiveExactly(MemorySegment, int)}
   */
  public long receiveExactly(MemorySegment dst, long offset, long length, int maxFds, List<Fd> fds)
      throws IOException {
    return receiver.receiveExactly(fd, dst, offset, length, maxFds, fds);
  }

  /**
   * {@link #receiveExactly(MemorySegment, int)} into the remaining space of {@code dst}.
   *
   * @param dst receives the bytes; its position advances
   * @param maxFds descriptors accepted in total
   * @return the bytes stored and the descriptors received
   * @throws IOException as {@link #receiveExactly(MemorySegment, int)}
   */
  public Received receiveExactly(ByteBuffer dst, int maxFds) throws IOException {
    Received r = receiveExactly(MemorySegment.ofBuffer(dst), maxFds);
    dst.position(dst.position() + (int) r.bytes());
    return r;
  }

  /**
   * shutdown(2) of the sending side: the peer reads end of stream, and can still send to us.
   *
   * @throws PosixException with the errno shutdown(2) set
   */
  public void shutdownOutput() throws PosixException {
    int sock = fd.acquire();
    try {
      PosixSockets.shutdown(sock, Layouts.SHUT_WR);
    } finally {
      fd.release();
    }
  }

  /** Closes the socket, first shutting it down if another thread is blocked on it. Idempotent. */
  @Override
  public void close() {
    fd.close(UnixSocket::shutdownQuietly);
  }

  @Override
  public String toString() {
    return "UnixSocket[" + fd + "]";
  }

  static void shutdownQuietly(int sock) {
    try {
      PosixSockets.shutdown(sock, Layouts.SHUT_RDWR);
    } catch (PosixException e) {
      // ENOTCONN: nothing is connected, so nothing is blocked on the connection either.
    }
  }

  static AsynchronousCloseException closedWhileBlocked(Throwable cause) {
    AsynchronousCloseException e = new AsynchronousCloseException();
    e.initCause(cause);
    return e;
  }
}
