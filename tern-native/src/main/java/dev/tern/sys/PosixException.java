package dev.tern.sys;

import java.io.IOException;

/**
 * A failed Linux call, carrying its {@code errno} so callers can branch on it (for instance to
 * forward it in a vfio-user error reply) and a message that names the call, its arguments, the
 * errno's symbolic name and its strerror(3) text, e.g. {@code "mmap(fd=5, size=4096): ENOMEM
 * (Cannot allocate memory)"}.
 */
public class PosixException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The error number the call reported ({@link #errno()}). */
  private final int errno;

  /**
   * A failure of {@code call} with {@code errno}.
   *
   * @param call the call and its arguments as they should appear in the message
   * @param errno the error number the call reported
   */
  public PosixException(String call, int errno) {
    this(call, errno, null);
  }

  /**
   * A failure of {@code call} with {@code errno} and an explanation the errno alone does not give.
   *
   * @param call the call and its arguments as they should appear in the message
   * @param errno the error number the call reported
   * @param detail extra explanation appended to the message, or {@code null}
   */
  public PosixException(String call, int errno, String detail) {
    super(call + ": " + Errno.name(errno) + " (" + Posix.strerror(errno) + ")"
        + (detail == null ? "" : ": " + detail));
    this.errno = errno;
  }

  /**
   * The Linux error number, one of the {@link Errno} constants for the errors Tern expects.
   *
   * @return the errno
   */
  public int errno() {
    return errno;
  }

  /**
   * The symbolic name of {@link #errno()}, e.g. {@code "ENOENT"}.
   *
   * @return the name
   */
  public String errnoName() {
    return Errno.name(errno);
  }
}
