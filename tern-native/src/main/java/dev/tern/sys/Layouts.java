package dev.tern.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * The kernel structs and flag values Tern passes to libc, declared once for x86-64 Linux/glibc.
 *
 * <p>Offsets are exported as {@code long} constants so call sites write fields with plain {@code
 * MemorySegment.set(layout, offset, value)}. {@code LayoutsTest} pins every size, offset and
 * constant to the C headers' values.
 */
public final class Layouts {
  private Layouts() {}

  // ---- struct iovec (<bits/types/struct_iovec.h>, readv(2)) ----
  /**
   * {@code struct iovec} ({@code <bits/types/struct_iovec.h>}): one buffer of a scatter/gather call such as readv(2) or
   * sendmsg(2).
   */
  public static final StructLayout IOVEC =
      MemoryLayout.structLayout(ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"))
          .withName("iovec");
  /** Offset of {@code iov_base}, the buffer's address. */
  public static final long IOV_BASE = offset(IOVEC, "iov_base");
  /** Offset of {@code iov_len}, the buffer's length in bytes. */
  public static final long IOV_LEN = offset(IOVEC, "iov_len");

  // ---- struct msghdr (<bits/socket.h>, sendmsg(2)) ----
  /**
   * {@code struct msghdr} ({@code <bits/socket.h>}): the argument of sendmsg(2)/recvmsg(2), data iovecs plus ancillary
   * (control) data.
   */
  public static final StructLayout MSGHDR =
      MemoryLayout.structLayout(
              ADDRESS.withName("msg_name"),
              JAVA_INT.withName("msg_namelen"),
              MemoryLayout.paddingLayout(4),
              ADDRESS.withName("msg_iov"),
              JAVA_LONG.withName("msg_iovlen"),
              ADDRESS.withName("msg_control"),
              JAVA_LONG.withName("msg_controllen"),
              JAVA_INT.withName("msg_flags"),
              MemoryLayout.paddingLayout(4))
          .withName("msghdr");
  /** Offset of {@code msg_name}, the peer address (null on a connected socket). */
  public static final long MSG_NAME = offset(MSGHDR, "msg_name");
  /** Offset of {@code msg_namelen}, the size of {@code msg_name}. */
  public static final long MSG_NAMELEN = offset(MSGHDR, "msg_namelen");
  /** Offset of {@code msg_iov}, the array of {@link #IOVEC} entries. */
  public static final long MSG_IOV = offset(MSGHDR, "msg_iov");
  /** Offset of {@code msg_iovlen}, the number of entries in {@code msg_iov} (at most {@link #IOV_MAX}). */
  public static final long MSG_IOVLEN = offset(MSGHDR, "msg_iovlen");
  /** Offset of {@code msg_control}, the buffer of control messages ({@link #CMSGHDR}s). */
  public static final long MSG_CONTROL = offset(MSGHDR, "msg_control");
  /** Offset of {@code msg_controllen}, the control buffer's size; recvmsg(2) sets it to the bytes received. */
  public static final long MSG_CONTROLLEN = offset(MSGHDR, "msg_controllen");
  /** Offset of {@code msg_flags}, which recvmsg(2) sets ({@link #MSG_TRUNC}, {@link #MSG_CTRUNC}). */
  public static final long MSG_FLAGS = offset(MSGHDR, "msg_flags");

  // ---- struct cmsghdr (<bits/socket.h>, cmsg(3)); the payload follows at CMSG_DATA ----
  /**
   * {@code struct cmsghdr} ({@code <bits/socket.h>}, cmsg(3)): the header of one control message; its payload follows
   * at {@link #CMSG_DATA}.
   */
  public static final StructLayout CMSGHDR =
      MemoryLayout.structLayout(
              JAVA_LONG.withName("cmsg_len"),
              JAVA_INT.withName("cmsg_level"),
              JAVA_INT.withName("cmsg_type"))
          .withName("cmsghdr");
  /** Offset of {@code cmsg_len}, header plus payload length ({@link #cmsgLen}). */
  public static final long CMSG_LEN_FIELD = offset(CMSGHDR, "cmsg_len");
  /** Offset of {@code cmsg_level}, the originating protocol ({@link #SOL_SOCKET}). */
  public static final long CMSG_LEVEL = offset(CMSGHDR, "cmsg_level");
  /** Offset of {@code cmsg_type}, the protocol-specific type ({@link #SCM_RIGHTS}). */
  public static final long CMSG_TYPE = offset(CMSGHDR, "cmsg_type");
  /** Offset of the payload from the start of its header: {@code CMSG_DATA(c) - (char *) c}. */
  public static final long CMSG_DATA = cmsgAlign(CMSGHDR.byteSize());

  /**
   * {@code CMSG_ALIGN}: control messages are padded to {@code sizeof(size_t)}.
   *
   * @param len a length in bytes
   * @return {@code len} rounded up to a multiple of 8
   */
  public static long cmsgAlign(long len) {
    return (len + 7) & ~7L;
  }

  /**
   * {@code CMSG_LEN(n)}: the {@code cmsg_len} value for an {@code n}-byte payload.
   *
   * @param payload the payload's size in bytes
   * @return header plus payload, unpadded
   */
  public static long cmsgLen(long payload) {
    return CMSG_DATA + payload;
  }

  /**
   * {@code CMSG_SPACE(n)}: bytes of control buffer one {@code n}-byte payload occupies.
   *
   * @param payload the payload's size in bytes
   * @return header plus padded payload
   */
  public static long cmsgSpace(long payload) {
    return CMSG_DATA + cmsgAlign(payload);
  }

  // ---- struct pollfd (<sys/poll.h>, poll(2)) ----
  /** {@code struct pollfd} ({@code <sys/poll.h>}): one descriptor watched by poll(2). */
  public static final StructLayout POLLFD =
      MemoryLayout.structLayout(
              JAVA_INT.withName("fd"),
              JAVA_SHORT.withName("events"),
              JAVA_SHORT.withName("revents"))
          .withName("pollfd");
  /** Offset of {@code fd}, the descriptor to watch. */
  public static final long POLLFD_FD = offset(POLLFD, "fd");
  /** Offset of {@code events}, the requested {@code POLL*} bits. */
  public static final long POLLFD_EVENTS = offset(POLLFD, "events");
  /**
   * Offset of {@code revents}, the bits poll(2) returns (including {@link #POLLERR}, {@link #POLLHUP}, {@link
   * #POLLNVAL}).
   */
  public static final long POLLFD_REVENTS = offset(POLLFD, "revents");

  // ---- struct timeval (<sys/time.h>), the value of SO_SNDTIMEO (socket(7)) ----
  /** {@code struct timeval} ({@code <sys/time.h>}): the value of {@link #SO_SNDTIMEO} (socket(7)). */
  public static final StructLayout TIMEVAL =
      MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec"))
          .withName("timeval");
  /** Offset of {@code tv_sec}, whole seconds. */
  public static final long TV_SEC = offset(TIMEVAL, "tv_sec");
  /** Offset of {@code tv_usec}, microseconds (0..999999). */
  public static final long TV_USEC = offset(TIMEVAL, "tv_usec");

  // ---- struct sockaddr_un (<sys/un.h>, unix(7)) ----
  /** {@code sizeof(sun_path)}: the path and its terminating NUL must fit. */
  public static final int UNIX_PATH_MAX = 108;

  /** {@code struct sockaddr_un} ({@code <sys/un.h>}, unix(7)): the address of an AF_UNIX socket, a filesystem path. */
  public static final StructLayout SOCKADDR_UN =
      MemoryLayout.structLayout(
              JAVA_SHORT.withName("sun_family"),
              MemoryLayout.sequenceLayout(UNIX_PATH_MAX, JAVA_BYTE).withName("sun_path"))
          .withName("sockaddr_un");
  /** Offset of {@code sun_family}, always {@link #AF_UNIX}. */
  public static final long SUN_FAMILY = offset(SOCKADDR_UN, "sun_family");
  /** Offset of {@code sun_path}, the NUL-terminated path ({@link #UNIX_PATH_MAX} bytes). */
  public static final long SUN_PATH = offset(SOCKADDR_UN, "sun_path");

  /**
   * Encodes {@code path} as a {@code sockaddr_un}; the returned segment's size is the {@code
   * addrlen} to pass (family, path bytes and the NUL, as unix(7) recommends). The path is encoded
   * like the JDK encodes file names ({@code sun.jnu.encoding}) so both name the same file.
   *
   * @param allocator where the address is allocated
   * @param path the socket's path
   * @return the address, sized as its {@code addrlen}
   * @throws IllegalArgumentException if the path contains NUL or needs more than 107 bytes
   */
  public static MemorySegment sockaddrUn(SegmentAllocator allocator, Path path) {
    byte[] bytes = path.toString().getBytes(PATH_CHARSET);
    if (bytes.length >= UNIX_PATH_MAX) {
      throw new IllegalArgumentException(
          "unix socket path needs " + bytes.length + " bytes, at most " + (UNIX_PATH_MAX - 1)
              + " fit in sockaddr_un: " + path);
    }
    for (byte b : bytes) {
      if (b == 0) {
        throw new IllegalArgumentException("unix socket path contains NUL: " + path);
      }
    }
    MemorySegment addr = allocator.allocate(SOCKADDR_UN);
    addr.fill((byte) 0);
    addr.set(JAVA_SHORT, SUN_FAMILY, (short) AF_UNIX);
    MemorySegment.copy(bytes, 0, addr, JAVA_BYTE, SUN_PATH, bytes.length);
    return addr.asSlice(0, SUN_PATH + bytes.length + 1);
  }

  private static final Charset PATH_CHARSET =
      Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));

  // ---- socket(2), unix(7), sendmsg(2), recvmsg(2) ----
  /** Address family of local sockets (unix(7)): vfio-user's transport. */
  public static final int AF_UNIX = 1;
  /** Connection-oriented byte stream socket type (vfio-user requires a stream socket). */
  public static final int SOCK_STREAM = 1;
  /** socket(2)/accept4(2) flag: the new descriptor is non-blocking. */
  public static final int SOCK_NONBLOCK = 0x800;
  /** socket(2)/accept4(2) flag: close-on-exec, so a descriptor never leaks into a child process. */
  public static final int SOCK_CLOEXEC = 0x80000;
  /** Socket-level option and control-message level (setsockopt(2), {@link #SCM_RIGHTS}). */
  public static final int SOL_SOCKET = 1;
  /** Send timeout; on an AF_UNIX stream socket it also bounds connect(2) to a full listen backlog. */
  public static final int SO_SNDTIMEO = 21;
  /** {@code SO_RCVTIMEO} ({@code <asm-generic/socket.h>}, 64-bit timeval). */
  public static final int SO_RCVTIMEO = 20;
  /** Send buffer size (int); on an AF_UNIX stream socket it bounds the bytes in flight to the peer (unix(7)). */
  public static final int SO_SNDBUF = 7;
  /** Receive buffer size (int). */
  public static final int SO_RCVBUF = 8;
  /** Control-message type that passes file descriptors (unix(7)); vfio-user sends DMA memory and eventfds this way. */
  public static final int SCM_RIGHTS = 1;
  /** Kernel limit on descriptors in one SCM_RIGHTS message ({@code include/net/scm.h}). */
  public static final int SCM_MAX_FD = 253;
  /** Kernel limit on iovec entries per call ({@code UIO_MAXIOV}, {@code <limits.h>} IOV_MAX). */
  public static final int IOV_MAX = 1024;
  /** recvmsg(2) {@code msg_flags} bit: the datagram was longer than the buffer (never expected on a stream). */
  public static final int MSG_TRUNC = 0x20;
  /** recvmsg(2) {@code msg_flags} bit: control data was cut, so some passed descriptors were lost. */
  public static final int MSG_CTRUNC = 0x8;
  /** recv(2) flag: block until the full length arrived (or EOF, a signal or an error). */
  public static final int MSG_WAITALL = 0x100;
  /** send(2) flag: a closed peer gives EPIPE instead of SIGPIPE. */
  public static final int MSG_NOSIGNAL = 0x4000;
  /** recvmsg(2) flag: received descriptors are close-on-exec. */
  public static final int MSG_CMSG_CLOEXEC = 0x40000000;
  /** shutdown(2): no more receptions. */
  public static final int SHUT_RD = 0;
  /** shutdown(2): no more transmissions; the peer reads EOF. */
  public static final int SHUT_WR = 1;
  /** shutdown(2): both directions. */
  public static final int SHUT_RDWR = 2;
  /** The file-type bits of {@code st_mode} and the socket type ({@code inode(7)}). */
  public static final int S_IFMT = 0170000;
  /** {@code st_mode} file type of a socket ({@code inode(7)}). */
  public static final int S_IFSOCK = 0140000;

  // ---- poll(2) ----
  /** poll(2): data to read (or EOF). */
  public static final int POLLIN = 0x1;
  /** poll(2): exceptional condition (e.g. a pty packet-mode state change). */
  public static final int POLLPRI = 0x2;
  /** poll(2): writing will not block. */
  public static final int POLLOUT = 0x4;
  /** poll(2), returned only: error condition. */
  public static final int POLLERR = 0x8;
  /** poll(2), returned only: the peer hung up. */
  public static final int POLLHUP = 0x10;
  /** poll(2), returned only: the descriptor is not open. */
  public static final int POLLNVAL = 0x20;

  // ---- open(2) / pipe2(2) / fcntl(2) ----
  /** open(2): read and write access. */
  public static final int O_RDWR = 0x2;
  /** open(2): a terminal does not become the controlling terminal (opening a pty). */
  public static final int O_NOCTTY = 0x100;
  /** open(2)/fcntl(2): non-blocking I/O. */
  public static final int O_NONBLOCK = 0x800;
  /** open(2)/pipe2(2): close-on-exec. */
  public static final int O_CLOEXEC = 0x80000;
  /** fcntl(2): duplicate a descriptor, close-on-exec. */
  public static final int F_DUPFD_CLOEXEC = 1030;
  /** fcntl(2): read the file status flags. */
  public static final int F_GETFL = 3;
  /** fcntl(2): set the file status flags (e.g. {@link #O_NONBLOCK}). */
  public static final int F_SETFL = 4;
  /** fcntl(2) file sealing (memfd_create(2) with MFD_ALLOW_SEALING, Linux 3.17). */
  public static final int F_ADD_SEALS = 1033;
  /** fcntl(2): read the seals of a memfd. */
  public static final int F_GET_SEALS = 1034;
  /** Seal: no further seals may be added. */
  public static final int F_SEAL_SEAL = 0x1;
  /** The file may not shrink: pages a peer mapped can never vanish (no SIGBUS on access). */
  public static final int F_SEAL_SHRINK = 0x2;
  /** Seal: the file may not grow. */
  public static final int F_SEAL_GROW = 0x4;
  /** Seal: the contents may not be written. */
  public static final int F_SEAL_WRITE = 0x8;

  // ---- termios(3): only passed between tcgetattr, cfmakeraw and tcsetattr, never read field by field ----
  /** sizeof(struct termios) with glibc on x86-64: 4 flag words, c_line, c_cc[32], padding, 2 speeds. */
  public static final int TERMIOS_SIZE = 60;
  /** tcsetattr(3): the change takes effect immediately. */
  public static final int TCSANOW = 0;

  // ---- memfd_create(2), eventfd(2) ----
  /** memfd_create(2): close-on-exec. */
  public static final int MFD_CLOEXEC = 0x1;
  /** memfd_create(2): seals may be added ({@link #F_ADD_SEALS}). */
  public static final int MFD_ALLOW_SEALING = 0x2;
  /** Linux 6.3+: not executable, and sealed so; older kernels reject it with EINVAL. */
  public static final int MFD_NOEXEC_SEAL = 0x8;
  /** eventfd(2): each read(2) decrements the counter by one instead of resetting it. */
  public static final int EFD_SEMAPHORE = 0x1;
  /** eventfd(2): non-blocking. */
  public static final int EFD_NONBLOCK = 0x800;
  /** eventfd(2): close-on-exec. */
  public static final int EFD_CLOEXEC = 0x80000;

  // ---- mmap(2) ----
  /** mmap(2): pages may be read. */
  public static final int PROT_READ = 0x1;
  /** mmap(2): pages may be written. */
  public static final int PROT_WRITE = 0x2;
  /** mmap(2): writes are visible to every process mapping the file (guest memory shared with a device process). */
  public static final int MAP_SHARED = 0x1;
  /** mmap(2): a private copy-on-write mapping (of the zero page, with {@link #MAP_ANONYMOUS}). */
  public static final int MAP_PRIVATE = 0x2;
  /** mmap(2): no file behind the mapping; fd -1. Read-only, every page reads as the kernel's zero page. */
  public static final int MAP_ANONYMOUS = 0x20;
  /** lseek(2): the next offset at or after the given one that holds data (not a hole). */
  public static final int SEEK_DATA = 3;
  /** lseek(2): the next offset at or after the given one that starts a hole (or the end of the file). */
  public static final int SEEK_HOLE = 4;
  /** madvise: fault in writable page tables for a range in one call (Linux 5.14). */
  public static final int MADV_POPULATE_WRITE = 23;
  /** {@code MAP_FAILED}, i.e. {@code (void *) -1}. */
  public static final long MAP_FAILED = -1L;

  private static long offset(StructLayout layout, String field) {
    return layout.byteOffset(groupElement(field));
  }
}
