package dev.tern.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The memory half of the libc facade ({@link Posix} has the rest): memfd_create(2) and
 * ftruncate(2) for shareable memory, lseek(2) to find its holes, mmap(2)/madvise(2)/munmap(2) to
 * map it. Same rules as {@link
 * Posix}: one {@code Libc} handle per call with {@code errno} captured by the linker, failures as
 * {@link PosixException}. {@link SharedMemory} is the owner-level API over these.
 */
public final class PosixMemory {
  private PosixMemory() {}

  /**
   * memfd_create(2). Returns the new descriptor.
   *
   * @param name the name shown in {@code /proc/PID/fd} (not a path)
   * @param flags {@code MFD_*} bits
   * @return the new descriptor, owned by the caller
   * @throws PosixException with the errno the call set
   */
  public static int memfdCreate(String name, int flags) throws PosixException {
    MemorySegment st = Libc.state();
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) Libc.MEMFD_CREATE.invokeExact(st, arena.allocateFrom(name), flags);
      if (fd < 0) throw Libc.fail(st, "memfd_create(\"" + name + "\", flags=" + Posix.hex(flags) + ")");
      return fd;
    } catch (PosixException e) {
      throw e;
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
  }

  /**
   * ftruncate(2).
   *
   * @param fd a regular file or memfd
   * @param length the new size in bytes
   * @throws PosixException with the errno the call set (EPERM when a seal forbids the change)
   */
  public static void ftruncate(int fd, long length) throws PosixException {
    MemorySegment st = Libc.state();
    while (true) {
      int rc;
      try {
        rc = (int) Libc.FTRUNCATE.invokeExact(st, fd, length);
      } catch (Throwable t) {
        throw Libc.rethrow(t);
      }
      if (rc == 0) return;
      if (Libc.errno(st) != Errno.EINTR) {
        throw Libc.fail(st, "ftruncate(fd=" + fd + ", length=" + length + ")");
      }
    }
  }

  /**
   * mmap(2) at an address the kernel picks. Returns a zero-length segment holding the mapping's
   * address; the caller gives it a size and lifetime with {@link MemorySegment#reinterpret}.
   *
   * @param length bytes to map
   * @param prot {@code PROT_*} bits
   * @param flags {@code MAP_*} bits, e.g. {@link Layouts#MAP_SHARED}
   * @param fd the file to map
   * @param offset the file offset, page-aligned
   * @return the mapping's address as a zero-length segment
   * @throws PosixException with the errno the call set
   */
  public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset)
      throws PosixException {
    MemorySegment st = Libc.state();
    MemorySegment addr;
    try {
      addr = (MemorySegment)
          Libc.MMAP.invokeExact(st, MemorySegment.NULL, length, prot, flags, fd, offset);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (addr.address() == Layouts.MAP_FAILED) {
      throw Libc.fail(st, "mmap(fd=" + fd + ", size=" + length + ", offset=" + offset + ")");
    }
    return addr;
  }

  /**
   * madvise(2) of {@code length} bytes at {@code address} (page-aligned).
   *
   * @param address the start, page-aligned
   * @param length bytes
   * @param advice e.g. {@link Layouts#MADV_POPULATE_WRITE}
   * @throws PosixException with the errno the call set
   */
  public static void madvise(long address, long length, int advice) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.MADVISE.invokeExact(st, MemorySegment.ofAddress(address), length, advice);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "madvise(" + Posix.hex(address) + ", size=" + length + ", advice=" + advice + ")");
  }

  /**
   * munmap(2) of {@code length} bytes at {@code address}.
   *
   * @param address the mapping's start
   * @param length bytes
   * @throws PosixException with the errno the call set
   */
  public static void munmap(long address, long length) throws PosixException {
    MemorySegment st = Libc.state();
    int rc;
    try {
      rc = (int) Libc.MUNMAP.invokeExact(st, MemorySegment.ofAddress(address), length);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (rc < 0) throw Libc.fail(st, "munmap(" + Posix.hex(address) + ", size=" + length + ")");
  }

  /**
   * lseek(2) with {@link Layouts#SEEK_DATA} or {@link Layouts#SEEK_HOLE}: where the next data or hole
   * starts at or after {@code offset}. On a memfd (shmem, Linux 3.8+) a hole is a page never written:
   * reading it through a shared mapping would allocate it, so a reader sends such ranges from
   * elsewhere. Seeking moves the file offset, which nothing in Tern reads (pread/mmap only).
   *
   * @param fd a regular file or memfd
   * @param offset where to start looking
   * @param whence {@link Layouts#SEEK_DATA} or {@link Layouts#SEEK_HOLE}
   * @return the offset found (SEEK_HOLE: the file size if only data follows), or -1 for ENXIO: no
   *     data at or after {@code offset} (SEEK_DATA), or {@code offset} at or past the end
   * @throws PosixException with any other errno the call set
   */
  public static long seek(int fd, long offset, int whence) throws PosixException {
    MemorySegment st = Libc.state();
    long at;
    try {
      at = (long) Libc.LSEEK.invokeExact(st, fd, offset, whence);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (at >= 0) return at;
    if (Libc.errno(st) == Errno.ENXIO) return -1;
    throw Libc.fail(st, "lseek(fd=" + fd + ", offset=" + offset + ", whence=" + whence + ")");
  }

  /**
   * A read-only private anonymous mapping of {@code length} bytes: every page reads as the kernel's
   * shared zero page, so however much is read, no memory is allocated. Never unmapped (for the
   * process's one zero source, e.g. the padding of gathered sends).
   *
   * @param length bytes, a multiple of the page size
   * @return the mapping
   * @throws PosixException with the errno mmap(2) set
   */
  public static MemorySegment zeros(long length) throws PosixException {
    MemorySegment st = Libc.state();
    MemorySegment addr;
    try {
      addr = (MemorySegment) Libc.MMAP.invokeExact(st, MemorySegment.NULL, length, Layouts.PROT_READ,
          Layouts.MAP_PRIVATE | Layouts.MAP_ANONYMOUS, -1, 0L);
    } catch (Throwable t) {
      throw Libc.rethrow(t);
    }
    if (addr.address() == Layouts.MAP_FAILED) throw Libc.fail(st, "mmap(anonymous, size=" + length + ")");
    return addr.reinterpret(length).asReadOnly();
  }
}
