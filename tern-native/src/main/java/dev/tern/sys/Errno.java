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
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int ENXIO = 6;
  public static final int E2BIG = 7;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  /** Same number as {@link #EAGAIN} on Linux. */
  public static final int EWOULDBLOCK = EAGAIN;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EFAULT = 14;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int ENFILE = 23;
  public static final int EMFILE = 24;
  public static final int ENOTTY = 25;
  public static final int EFBIG = 27;
  public static final int ENOSPC = 28;
  public static final int ESPIPE = 29;
  public static final int EPIPE = 32;
  public static final int ERANGE = 34;
  public static final int ENAMETOOLONG = 36;
  public static final int ENOSYS = 38;
  public static final int ENOMSG = 42;
  public static final int EPROTO = 71;
  public static final int EOVERFLOW = 75;
  public static final int ENOTSOCK = 88;
  public static final int EMSGSIZE = 90;
  public static final int ENOTSUP = 95;
  /** Same number as {@link #ENOTSUP} on Linux. */
  public static final int EOPNOTSUPP = ENOTSUP;
  public static final int EADDRINUSE = 98;
  public static final int ECONNRESET = 104;
  public static final int EISCONN = 106;
  public static final int ENOTCONN = 107;
  public static final int ETIMEDOUT = 110;
  public static final int ECONNREFUSED = 111;
  public static final int EALREADY = 114;
  public static final int EINPROGRESS = 115;

  private Errno() {}

  /**
   * The symbolic name of {@code errno}, e.g. {@code "EINVAL"} for 22; aliases resolve to the name
   * listed first above ({@code EAGAIN}, {@code ENOTSUP}). Numbers Tern does not name come back as
   * {@code "errno 123"}, so a message never hides the number.
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
