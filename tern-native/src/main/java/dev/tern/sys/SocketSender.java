package dev.tern.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sendmsg(2) half of a {@link UnixSocket}: gather I/O with SCM_RIGHTS on the first call, or
 * straight from an {@link IoVector}. Concurrent sends are serialised by its lock, so each stays
 * contiguous on the stream. Its native scratch (msghdr, iovec array, control buffer for {@link
 * Layouts#SCM_MAX_FD} descriptors, heap bounce buffer) is allocated once per socket and reused
 * under that lock, so a send in steady state allocates no native memory and opens no arena.
 */
final class SocketSender {
  /**
   * What a list of segments carries.
   *
   * @param total bytes in all segments
   * @param heapBytes of them in heap segments (staged in the bounce buffer)
   */
  private record Totals(long total, long heapBytes) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Arena arena = Arena.ofAuto();
  private final MemorySegment msg = arena.allocate(Layouts.MSGHDR);
  private final MemorySegment controlScratch =
      arena.allocate(ScmRights.space(Layouts.SCM_MAX_FD), 8);
  private final int[] raw = new int[Layouts.SCM_MAX_FD];
  private MemorySegment iov = arena.allocate(Layouts.IOVEC, 4);
  private MemorySegment bounce = MemorySegment.NULL;

  /** {@link UnixSocket#send(List, List)} on {@code fd}. */
  void send(Fd fd, List<MemorySegment> data, List<Fd> fds) throws IOException {
    Totals t = check(data, fds);
    if (t.total() > 0) locked(fd, null, data, fds, t);
  }

  /** {@link UnixSocket#send(IoVector)} on {@code fd}. */
  void send(Fd fd, IoVector vector) throws IOException {
    if (vector.byteSize() > 0) locked(fd, vector, List.of(), List.of(), null);
  }

  /** One send under the lock, of {@code vector} if not null, else of {@code data} and {@code fds}. */
  private void locked(Fd fd, IoVector vector, List<MemorySegment> data, List<Fd> fds, Totals t)
      throws IOException {
    lock.lock();
    try {
      int sock = fd.acquire();
      try {
        if (vector != null) {
          sendAll(sock, vector);
        } else {
          sendAll(sock, data, fds, t.total(), t.heapBytes());
        }
      } catch (PosixException e) {
        throw fd.isOpen() ? e : UnixSocket.closedWhileBlocked(e);
      } finally {
        fd.release();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Checks a send of {@code data} with {@code fds} ({@link UnixSocket#send(List, List)}).
   *
   * @return its byte counts
   * @throws IllegalArgumentException for more than {@link Layouts#SCM_MAX_FD} fds, or fds without
   *     data
   */
  private static Totals check(List<MemorySegment> data, List<Fd> fds) {
    long total = 0;
    long heapBytes = 0;
    for (MemorySegment s : data) {
      total += s.byteSize();
      if (!s.isNative()) heapBytes += s.byteSize();
    }
    if (fds.size() > Layouts.SCM_MAX_FD) {
      throw new IllegalArgumentException(
          fds.size() + " fds exceed SCM_MAX_FD " + Layouts.SCM_MAX_FD);
    }
    if (total == 0 && !fds.isEmpty()) {
      throw new IllegalArgumentException("sending fds needs at least one data byte");
    }
    return new Totals(total, heapBytes);
  }

  /**
   * Sends every unsent byte of {@code vector}: sendmsg(2) straight from its native iovec array (at
   * most {@link Layouts#IOV_MAX} entries a call), trimming it after a partial write. Call under the
   * socket's send lock.
   */
  private void sendAll(int sock, IoVector vector) throws PosixException {
    msg.set(ADDRESS, Layouts.MSG_CONTROL, MemorySegment.NULL);
    msg.set(JAVA_LONG, Layouts.MSG_CONTROLLEN, 0);
    while (vector.byteSize() > 0) {
      // msg_iov is a pointer: written as the 64-bit address it is, without a segment per call
      msg.set(JAVA_LONG, Layouts.MSG_IOV, vector.unsentAddress());
      msg.set(JAVA_LONG, Layouts.MSG_IOVLEN, vector.unsentEntries());
      vector.sent(PosixSockets.sendmsg(sock, msg, Layouts.MSG_NOSIGNAL));
    }
  }

  /**
   * Sends all {@code total} bytes of {@code data}, {@code fds} with the first byte; partial writes
   * continue where they stopped. Call under the socket's send lock.
   *
   * @param heapBytes how many of the bytes are in heap segments (staged in the bounce buffer)
   */
  private void sendAll(int sock, List<MemorySegment> data, List<Fd> fds, long total, long heapBytes)
      throws PosixException {
    int acquired = 0;
    try {
      for (Fd f : fds) {
        raw[acquired] = f.acquire();
        acquired++;
      }
      MemorySegment control =
          acquired == 0 ? MemorySegment.NULL : ScmRights.encode(controlScratch, raw, acquired);
      int iovMax = Math.min(data.size(), Layouts.IOV_MAX);
      prepare(iovMax, heapBytes);
      msg.set(ADDRESS, Layouts.MSG_IOV, iov);
      int segment = 0;
      long segmentOffset = 0;
      long sent = 0;
      while (sent < total) {
        int iovCount = fill(data, segment, segmentOffset, iovMax);
        msg.set(JAVA_LONG, Layouts.MSG_IOVLEN, iovCount);
        msg.set(ADDRESS, Layouts.MSG_CONTROL, sent == 0 ? control : MemorySegment.NULL);
        msg.set(JAVA_LONG, Layouts.MSG_CONTROLLEN, sent == 0 ? control.byteSize() : 0);
        long n = PosixSockets.sendmsg(sock, msg, Layouts.MSG_NOSIGNAL);
        sent += n;
        while (n > 0) {
          long left = data.get(segment).byteSize() - segmentOffset;
          if (n >= left) {
            n -= left;
            segment++;
            segmentOffset = 0;
          } else {
            segmentOffset += n;
            n = 0;
          }
        }
      }
    } finally {
      for (int i = 0; i < acquired; i++) fds.get(i).release();
    }
  }

  /** Grows the iovec array and the bounce buffer if this send needs more than earlier ones. */
  private void prepare(int iovMax, long heapBytes) {
    if (iov.byteSize() < iovMax * Layouts.IOVEC.byteSize()) {
      iov = arena.allocate(Layouts.IOVEC, iovMax);
    }
    long want = Math.min(heapBytes, Fd.BOUNCE_BYTES);
    if (bounce.byteSize() < want) {
      bounce = arena.allocate(Math.min(Fd.BOUNCE_BYTES, Math.max(want, 2 * bounce.byteSize())));
    }
  }

  /**
   * Points the iovec entries at the unsent data from ({@code segment}, {@code from}) on.
   *
   * @return the number of entries
   */
  private int fill(List<MemorySegment> data, int segment, long segmentOffset, int iovMax) {
    int iovCount = 0;
    long bounceUsed = 0;
    for (int i = segment; i < data.size() && iovCount < iovMax; i++) {
      MemorySegment s = data.get(i);
      long from = i == segment ? segmentOffset : 0;
      long len = s.byteSize() - from;
      if (len == 0) continue;
      MemorySegment base;
      boolean bounceFull = false;
      if (s.isNative()) {
        base = s.asSlice(from, len);
      } else {
        // Heap bytes are staged in the bounce buffer; once it is full this call must end here, or
        // later segments would overtake the unstaged rest of this one.
        len = Math.min(len, bounce.byteSize() - bounceUsed);
        if (len == 0) break;
        base = bounce.asSlice(bounceUsed, len);
        MemorySegment.copy(s, from, base, 0, len);
        bounceUsed += len;
        bounceFull = bounceUsed == bounce.byteSize();
      }
      long entry = iovCount * Layouts.IOVEC.byteSize();
      iov.set(ADDRESS, entry + Layouts.IOV_BASE, base);
      iov.set(JAVA_LONG, entry + Layouts.IOV_LEN, len);
      iovCount++;
      if (bounceFull) break;
    }
    return iovCount;
  }
}
