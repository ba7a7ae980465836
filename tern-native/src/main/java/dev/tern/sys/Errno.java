package dev.tern.sys;

/**
 * The Linux errno numbers Tern uses, as plain {@code int} constants.
 *
 * <p>Besides decoding failed syscalls, other Tern modules put these numbers into vfio-user error
 * replies, whose {@code error} field carries a Linux errno (vfio-user spec, "Header"). Values are
 * those of {@code <asm-generic/errno-base.h>} and {@code <asm-generic/errno.h>}, which x86-64
 * uses unchanged; {@code LayoutsTest} checks them against a C compiler when one is present.
 */
public final class Errno {
  /** Operation not permitted. */
  public static final int EPERM = 1;
  /** No such file or directory. */
  public static final int ENOENT = 2;
  /** No such process. */
  public static final int ESRCH = 3;
  /** Interrupted system call. */
  public static final int EINTR = 4;
  /** Input/output error. */
  public static final int EIO = 5;
  /** No such device or address. */
  public static final int ENXIO = 6;
  /** Argument list too long. */
  public static final int E2BIG = 7;
  /** Bad file descriptor. */
  public static final int EBADF = 9;
  /** Resource temporarily unavailable (a non-blocking call would block). */
  public static final int EAGAIN = 11;
  /** Same number as {@link #EAGAIN} on Linux. */
  public static final int EWOULDBLOCK = EAGAIN;
  /** Cannot allocate memory. */
  public static final int ENOMEM = 12;
  /** Permission denied. */
  public static final int EACCES = 13;
  /** Bad address. */
  public static final int EFAULT = 14;
  /** Device or resource busy. */
  public static final int EBUSY = 16;
  /** File exists. */
  public static final int EEXIST = 17;
  /** No such device. */
  public static final int ENODEV = 19;
  /** Invalid argument. */
  public static final int EINVAL = 22;
  /** Too many open files in the system. */
  public static final int ENFILE = 23;
  /** Too many open files in this process. */
  public static final int EMFILE = 24;
  /** Inappropriate ioctl for device. */
  public static final int ENOTTY = 25;
  /** File too large. */
  public static final int EFBIG = 27;
  /** No space left on device. */
  public static final int ENOSPC = 28;
  /** Illegal seek. */
  public static final int ESPIPE = 29;
  /** Broken pipe: the peer closed its end. */
  public static final int EPIPE = 32;
  /** Numerical result out of range. */
  public static final int ERANGE = 34;
  /** File name too long. */
  public static final int ENAMETOOLONG = 36;
  /** Function not implemented. */
  public static final int ENOSYS = 38;
  /** No message of desired type (a VFIO data fd in PRE_COPY with nothing to read now). */
  public static final int ENOMSG = 42;
  /** Protocol error. */
  public static final int EPROTO = 71;
  /** Value too large for defined data type. */
  public static final int EOVERFLOW = 75;
  /** Socket operation on non-socket. */
  public static final int ENOTSOCK = 88;
  /** Message too long. */
  public static final int EMSGSIZE = 90;
  /** Operation not supported. */
  public static final int ENOTSUP = 95;
  /** Same number as {@link #ENOTSUP} on Linux. */
  public static final int EOPNOTSUPP = ENOTSUP;
  /** Address already in use. */
  public static final int EADDRINUSE = 98;
  /** Connection reset by peer. */
  public static final int ECONNRESET = 104;
  /** Transport endpoint is already connected. */
  public static final int EISCONN = 106;
  /** Transport endpoint is not connected. */
  public static final int ENOTCONN = 107;
  /** Connection timed out. */
  public static final int ETIMEDOUT = 110;
  /** Connection refused. */
  public static final int ECONNREFUSED = 111;
  /** Operation already in progress. */
  public static final int EALREADY = 114;
  /** Operation now in progress. */
  public static final int EINPROGRESS = 115;

  private Errno() {}

  /**
   * The symbolic name of {@code errno}, e.g. {@code "EINVAL"} for 22; aliases resolve to the name
   * listed first above ({@code EAGAIN}, {@code ENOTSUP}). Numbers Tern does not name come back as
   * {@code "errno 123"}, so a message never hides the number.
   *
   * @param errno a Linux error number
   * @return its name
   */
  public static String name(int errno) {
    return switch (errno) {
      case EPERM -> "EPERM";
      case ENOENT -> "ENOENT";
      case ESRCH -> "ESRCH";
      case EINTR -> "EINTR";
      case EIO -> "EIO";
      case ENXIO -> "ENXIO";
      case E2BIG -> "E2BIG";
      case EBADF -> "EBADF";
      case EAGAIN -> "EAGAIN";
      case ENOMEM -> "ENOMEM";
      case EACCES -> "EACCES";
      case EFAULT -> "EFAULT";
      case EBUSY -> "EBUSY";
      case EEXIST -> "EEXIST";
      case ENODEV -> "ENODEV";
      case EINVAL -> "EINVAL";
      case ENFILE -> "ENFILE";
      case EMFILE -> "EMFILE";
      case ENOTTY -> "ENOTTY";
      case EFBIG -> "EFBIG";
      case ENOSPC -> "ENOSPC";
      case ESPIPE -> "ESPIPE";
      case EPIPE -> "EPIPE";
      case ERANGE -> "ERANGE";
      case ENAMETOOLONG -> "ENAMETOOLONG";
      case ENOSYS -> "ENOSYS";
      case ENOMSG -> "ENOMSG";
      case EPROTO -> "EPROTO";
      case EOVERFLOW -> "EOVERFLOW";
      case ENOTSOCK -> "ENOTSOCK";
      case EMSGSIZE -> "EMSGSIZE";
      case ENOTSUP -> "ENOTSUP";
      case EADDRINUSE -> "EADDRINUSE";
      case ECONNRESET -> "ECONNRESET";
      case EISCONN -> "EISCONN";
      case ENOTCONN -> "ENOTCONN";
      case ETIMEDOUT -> "ETIMEDOUT";
      case ECONNREFUSED -> "ECONNREFUSED";
      case EALREADY -> "EALREADY";
      case EINPROGRESS -> "EINPROGRESS";
      default -> "errno " + errno;
    };
  }
}
