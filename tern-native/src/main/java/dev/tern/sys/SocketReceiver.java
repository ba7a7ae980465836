package dev.tern.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The recvmsg(2) half of a {@link UnixSocket}. Its native scratch (msghdr, one iovec, a control
 * buffer for {@link Layouts#SCM_MAX_FD} descriptors, a heap bounce buffer) is allocated once per
 * socket and reused under the socket's receive lock, so a receive opens no arena.
 */
final class SocketReceiver {
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
   * One recvmsg(2) into {@code dst}; call under the socket's receive lock.
   *
   * @param fd the socket (for messages, and to tell a close by another thread)
   * @param allowFds descriptors accepted with these bytes
   * @param before what earlier calls of the same receive already stored, for messages
   */
  UnixSocket.Received once(Fd fd, int sock, MemorySegment dst, int allowFds, long before)
      throws IOException {
    MemorySegment target = dst.isNative() ? dst : bounce(dst.byteSize());
    iov.set(ADDRESS, Layouts.IOV_BASE, target);
    iov.set(JAVA_LONG, Layouts.IOV_LEN, target.byteSize());
    msg.set(ADDRESS, Layouts.MSG_CONTROL, allowFds == 0 ? MemorySegment.NULL : control);
    msg.set(JAVA_LONG, Layouts.MSG_CONTROLLEN, allowFds == 0 ? 0 : ScmRights.space(allowFds));
    msg.set(JAVA_INT, Layouts.MSG_FLAGS, 0);
    long n;
    try {
      n = PosixSockets.recvmsg(sock, msg, Layouts.MSG_CMSG_CLOEXEC);
    } catch (PosixException e) {
      throw fd.isOpen() ? e : UnixSocket.closedWhileBlocked(e);
    }
    List<Fd> fds = ScmRights.decode(control, msg.get(JAVA_LONG, Layouts.MSG_CONTROLLEN));
    if (!dst.isNative()) MemorySegment.copy(target, 0, dst, 0, n);
    boolean truncated = (msg.get(JAVA_INT, Layouts.MSG_FLAGS) & Layouts.MSG_CTRUNC) != 0;
    if (truncated || fds.size() > allowFds) {
      fds.forEach(Fd::close);
      throw new ControlTruncatedException("recvmsg(" + fd + ")", before + n, allowFds, fds.size());
    }
    if (n == 0 && !fd.isOpen()) throw UnixSocket.closedWhileBlocked(null);
    return new UnixSocket.Received(n, fds);
  }

  /**
   * poll(2) for POLLIN on {@code sock} for at most {@code nanos}, in the reused pollfd; call under
   * the socket's receive lock.
   *
   * @return true if a receive would not block
   */
  boolean awaitReadable(int sock, long nanos) throws PosixException {
    pollfd.set(JAVA_INT, Layouts.POLLFD_FD, sock);
    pollfd.set(JAVA_SHORT, Layouts.POLLFD_EVENTS, (short) Layouts.POLLIN);
    pollfd.set(JAVA_SHORT, Layouts.POLLFD_REVENTS, (short) 0);
    Poll.pollUntil(pollfd, 1, Math.max(0, nanos));
    return pollfd.get(JAVA_SHORT, Layouts.POLLFD_REVENTS) != 0;
  }

  /** @return the bounce buffer, grown if needed, sliced to what one call may receive into it */
  private MemorySegment bounce(long want) {
    long size = Math.min(want, Fd.BOUNCE_BYTES);
    if (bounce.byteSize() < size) {
      bounce = arena.allocate(Math.min(Fd.BOUNCE_BYTES, Math.max(size, 2 * bounce.byteSize())));
    }
    return bounce.asSlice(0, size);
  }
}
