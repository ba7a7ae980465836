package dev.tern.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The calls a character-device driver needs beyond {@link Posix}: {@code open(2)} of a device node, {@code
 * ioctl(2)} with a struct pointer or a plain integer argument, and {@code pwrite(2)} at a file offset (VFIO regions
 * are reached at {@code region offset + address} on the device fd, spec vfio-migration.md §2).
 *
 * <p>{@code ioctl} and {@code open} are variadic in C; their last argument is passed the variadic way. A failure is
 * a {@link PosixException} naming the request in hex, so an {@code ENOTTY} from a driver that does not know the
 * request is told apart from the driver's own errno.
 */
public final class Ioctl {
  private Ioctl() {}

  /** {@code O_RDWR} of open(2). */
  public static final int O_RDWR = 2;

  private static final MethodHandle OPEN = variadic("open", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
  private static final MethodHandle IOCTL_PTR = variadic("ioctl", JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
  private static final MethodHandle IOCTL_LONG = variadic("ioctl", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);
  private static final MethodHandle PWRITE =
      Libc.errnoCall("pwrite64", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);

  /**
   * open(2) of {@code path} with {@code flags} ({@code O_CLOEXEC} always added); EINTR is retried.
   *
   * @param path the device node, e.g. {@code /dev/vfio/vfio}
   * @param flags e.g. {@link #O_RDWR}
   * @return the new descriptor
   * @throws PosixException with the errno open(2) set
   */
  public static int open(Path path, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment name = arena.allocateFrom(path.toString());
      while (true) {
        int fd = (int) OPEN.invokeExact(st, name, flags | Layouts.O_CLOEXEC, 0);
        if (fd >= 0) return fd;
        if (Libc.errno(st) != Errno.EINTR) throw Libc.fail(st, "open(" + path + ")");
      }
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * ioctl(2) whose argument is a pointer to {@code arg} (the kernel reads and writes the struct in place).
   *
   * @param fd the device's descriptor
   * @param request the request number
   * @param arg the struct passed by pointer
   * @return the call's non-negative result (some requests return a descriptor)
   * @throws PosixException with the errno the call set
   */
  public static int ioctl(int fd, long request, MemorySegment arg) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) IOCTL_PTR.invokeExact(st, fd, request, arg);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "ioctl(fd=" + fd + ", 0x" + Long.toHexString(request) + ")");
    return rc;
  }

  /**
   * ioctl(2) whose argument is a plain integer (e.g. {@code VFIO_CHECK_EXTENSION}, {@code VFIO_SET_IOMMU}) or
   * absent (pass 0).
   *
   * @param fd the device's descriptor
   * @param request the request number
   * @param arg the integer argument, or 0
   * @return the call's non-negative result
   * @throws PosixException with the errno the call set
   */
  public static int ioctl(int fd, long request, long arg) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) IOCTL_LONG.invokeExact(st, fd, request, arg);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) {
      throw Libc.fail(st, "ioctl(fd=" + fd + ", 0x" + Long.toHexString(request) + ", " + arg + ")");
    }
    return rc;
  }

  /**
   * pwrite(2) of up to {@code count} bytes of {@code buf} at file {@code offset}; EINTR is retried.
   *
   * @param fd the file
   * @param buf a native segment of at least {@code count} bytes
   * @param count bytes to write at most
   * @param offset the file offset
   * @return bytes written
   * @throws PosixException with the errno the call set
   */
  public static long pwrite(int fd, MemorySegment buf, long count, long offset) throws PosixException {
    if (count < 0 || count > buf.byteSize()) {
      throw new IndexOutOfBoundsException("count " + count + " outside " + buf);
    }
    MemorySegment st = Libc.state();
    while (true) {
      long n;
      try {
        n = (long) PWRITE.invokeExact(st, fd, buf, count, offset);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (n >= 0) return n;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "pwrite(fd=" + fd + ", count=" + count + ", offset=" + offset + ")");
      }
    }
  }

  private static MethodHandle variadic(String name, MemoryLayout ret, MemoryLayout... args) {
    return Libc.variadicCall(name, FunctionDescriptor.of(ret, args), args.length - 1);
  }
}
