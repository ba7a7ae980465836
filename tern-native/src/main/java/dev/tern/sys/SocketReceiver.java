package dev.tern.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The recvmsg(2) half of a {@link UnixSocket}, with its lock. Its native scratch (msghdr, one iovec,
 * a control buffer for {@link Layouts#SCM_MAX_FD} descriptors, a pollfd, a heap bounce buffer) is
 * allocated once per socket and reused under the receive lock, so a receive opens no arena, and the
 * {@code (dst, offset, length, fds)} calls allocate nothing when no descriptor comes: the bytes are
 * counted in the return value and the descriptors appended to the caller's list.
 */
final class SocketReceiver {
  private final ReentrantLock lock = new ReentrantLock();
  private final Arena arena = Arena.ofAuto();
  private final MemorySegment msg = arena.allocate(Layouts.MSGHDR);
  private final MemorySegment iov = arena.allocate(Layouts.IOVEC);
  private final MemorySegment control = arena.allocate(ScmRights.space(Layouts.SCM_MAX_FD), 8);
  private final MemorySegment pollfd = arena.allocate(Layouts.POLLFD);
  private MemorySegment bounce = MemorySegment.NULL;

  SocketReceiver() {
    msg.set(ADDRESS, Layouts.MSG_IOV, iov);
    msg.set(JAVA_LONG, Layouts.MSG_IOVLEN, 1);
  }

  /**
   * One recvmsg(2) into {@code dst[offset, offset + length)}.
   *
   * @param fd the socket
   * @param fds receives the descriptors that came with the bytes (owned by the caller)
   * @return the bytes stored, 0 at end of stream
   */
  long receive(Fd fd, MemorySegment dst, long offset, long length, int maxFds, List<Fd> fds)
      throws IOException {
    check(dst, offset, length, maxFds);
    lock.lock();
    try {
      int sock = fd.acquire();
      try {
        return once(fd, sock, dst, offset, length, maxFds, 0, fds);
      } finally {
        fd.release();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Receives until {@code dst[offset, offset + length)} is full, with at most {@code maxFds}
   * descriptors in total. A peer that closes before the first byte is a clean end: 0 is returned.
   *
   * @param fds receives the descriptors (owned by the caller); on an exception those of this call
   *     are closed and removed again
   * @return {@code length}, or 0 at end of stream before any byte
   * @throws EOFException if the peer closes after part of the range arrived
   */
  long receiveExactly(Fd fd, MemorySegment dst, long offset, long length, int maxFds, List<Fd> fds)
      throws IOException {
    check(dst, offset, length, maxFds);
    int fdsBefore = fds.size();
    lock.lock();
    try {
      int sock = fd.acquire();
      try {
        long done = 0;
        while (done < length) {
          long n = once(fd, sock, dst, offset + done, length - done,
              maxFds - (fds.size() - fdsBefore), done, fds);
          if (n == 0) {
            if (done == 0) return 0;
            throw new EOFException("peer closed " + fd + " after " + done + " of " + length + " bytes");
          }
          done += n;
        }
        return done;
      } catch (IOException | RuntimeException e) {
        while (fds.size() > fdsBefore) fds.removeLast().close();
        throw e;
      } finally {
        fd.release();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a receive would not block, for at most {@code nanos}, in the reused pollfd.
   *
   * @return true if a receive would not block
   */
  boolean awaitReadable(Fd fd, long nanos) throws PosixException {
    lock.lock();
    try {
      int sock = fd.acquire();
      try {
        pollfd.set(JAVA_INT, Layouts.POLLFD_FD, sock);
        pollfd.set(JAVA_SHORT, Layouts.POLLFD_EVENTS, (short) Layouts.POLLIN);
        pollfd.set(JAVA_SHORT, Layouts.POLLFD_REVENTS, (short) 0);
        Poll.pollUntil(pollfd, 1, Math.max(0, nanos));
        return pollfd.get(JAVA_SHORT, Layouts.POLLFD_REVENTS) != 0;
      } finally {
        fd.release();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * One recvmsg(2); call under the lock. The iovec points into {@code dst} by address (no slice),
   * or at the bounce buffer for heap memory.
   *
   * @param before what earlier calls of the same receive already stored, for messages
   */
  private long once(Fd fd, int sock, MemorySegment dst, long offset, long length, int allowFds,
      long before, List<Fd> fds) throws IOException {
    boolean direct = dst.isNative();
    long want = direct ? length : Math.min(length, Fd.BOUNCE_BYTES);
    iov.set(JAVA_LONG, Layouts.IOV_BASE, direct ? dst.address() + offset : bounce(want).address());
    iov.set(JAVA_LONG, Layouts.IOV_LEN, want);
    msg.set(ADDRESS, Layouts.MSG_CONTROL, allowFds == 0 ? MemorySegment.NULL : control);
    msg.set(JAVA_LONG, Layouts.MSG_CONTROLLEN, allowFds == 0 ? 0 : ScmRights.space(allowFds));
    msg.set(JAVA_INT, Layouts.MSG_FLAGS, 0);
    long n;
    // The kernel writes to dst by address: keep dst (and the memory it owns) reachable until then.
    try {
      n = PosixSockets.recvmsg(sock, msg, Layouts.MSG_CMSG_CLOEXEC);
    } catch (PosixException e) {
      throw fd.isOpen() ? e : UnixSocket.closedWhileBlocked(e);
    } finally {
      java.lang.ref.Reference.reachabilityFence(dst);
    }
    int fdsBefore = fds.size();
    ScmRights.decode(control, msg.get(JAVA_LONG, Layouts.MSG_CONTROLLEN), fds);
    int arrived = fds.size() - fdsBefore;
    if (!direct) MemorySegment.copy(bounce, 0, dst, offset, n);
    boolean truncated = (msg.get(JAVA_INT, Layouts.MSG_FLAGS) & Layouts.MSG_CTRUNC) != 0;
    if (truncated || arrived > allowFds) {
      while (fds.size() > fdsBefore) fds.removeLast().close();
      throw new ControlTruncatedException("recvmsg(" + fd + ")", before + n, allowFds, arrived);
    }
    if (n == 0 && !fd.isOpen()) throw UnixSocket.closedWhileBlocked(null);
    return n;
  }

  /** @return the bounce buffer, grown if needed to hold {@code size} bytes */
  private MemorySegment bounce(long size) {
    if (bounce.byteSize() < size) {
      bounce = arena.allocate(Math.min(Fd.BOUNCE_BYTES, Math.max(size, 2 * bounce.byteSize())));
    }
    return bounce;
  }

  private static void check(MemorySegment dst, long offset, long length, int maxFds) {
    Objects.checkFromIndexSize(offset, length, dst.byteSize());
    if (length == 0) throw new IllegalArgumentException("empty destination");
    if (dst.isReadOnly()) throw new IllegalArgumentException("read-only destination " + dst);
    if (maxFds < 0 || maxFds > Layouts.SCM_MAX_FD) {
      throw new IllegalArgumentException(
          "maxFds must be within 0.." + Layouts.SCM_MAX_FD + ": " + maxFds);
    }
  }
}
