package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.List;

/**
 * Encodes and decodes the SCM_RIGHTS control message that carries descriptors over an AF_UNIX
 * socket (unix(7), cmsg(3)): a {@code cmsghdr} followed by an {@code int[]}, padded to {@link
 * Layouts#cmsgSpace}.
 */
final class ScmRights {
  private ScmRights() {}

  /** Bytes of control buffer needed for {@code count} descriptors: {@code CMSG_SPACE(4 * n)}. */
  static long space(int count) {
    return Layouts.cmsgSpace((long) Integer.BYTES * count);
  }

  /** One SCM_RIGHTS message carrying {@code fds}, ready for {@code msg_control}. */
  static MemorySegment encode(SegmentAllocator allocator, int[] fds) {
    return encode(allocator.allocate(space(fds.length), 8), fds, fds.length);
  }

  /**
   * One SCM_RIGHTS message carrying the first {@code count} of {@code fds}, written at the start of
   * {@code scratch} (8-byte aligned, at least {@link #space space(count)} bytes).
   *
   * @return the message: the slice of {@code scratch} for {@code msg_control}
   */
  static MemorySegment encode(MemorySegment scratch, int[] fds, int count) {
    MemorySegment control = scratch.asSlice(0, space(count));
    control.fill((byte) 0);
    long payload = (long) Integer.BYTES * count;
    control.set(JAVA_LONG, Layouts.CMSG_LEN_FIELD, Layouts.cmsgLen(payload));
    control.set(JAVA_INT, Layouts.CMSG_LEVEL, Layouts.SOL_SOCKET);
    control.set(JAVA_INT, Layouts.CMSG_TYPE, Layouts.SCM_RIGHTS);
    MemorySegment.copy(fds, 0, control, JAVA_INT, Layouts.CMSG_DATA, count);
    return control;
  }

  /**
   * Walks the first {@code length} bytes of a received control buffer the way {@code
   * CMSG_FIRSTHDR}/{@code CMSG_NXTHDR} do and takes ownership of every SCM_RIGHTS descriptor;
   * other message types are skipped. The descriptors are appended to {@code fds}: nothing is
   * allocated when none came.
   */
  static void decode(MemorySegment control, long length, List<Fd> fds) {
    long at = 0;
    while (at + Layouts.CMSGHDR.byteSize() <= length) {
      long cmsgLen = control.get(JAVA_LONG, at + Layouts.CMSG_LEN_FIELD);
      if (cmsgLen < Layouts.CMSG_DATA || at + cmsgLen > length) break;
      if (control.get(JAVA_INT, at + Layouts.CMSG_LEVEL) == Layouts.SOL_SOCKET
          && control.get(JAVA_INT, at + Layouts.CMSG_TYPE) == Layouts.SCM_RIGHTS) {
        long count = (cmsgLen - Layouts.CMSG_DATA) / Integer.BYTES;
        for (long i = 0; i < count; i++) {
          fds.add(new Fd(control.get(JAVA_INT, at + Layouts.CMSG_DATA + i * Integer.BYTES)));
        }
      }
      at += Layouts.cmsgAlign(cmsgLen);
    }
  }
}
