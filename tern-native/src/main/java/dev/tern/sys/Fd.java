package dev.tern.sys;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Owns one file descriptor and closes it exactly once.
 *
 * <p>A descriptor number is reused by the kernel as soon as it is closed, so closing it while
 * another thread is about to pass it to a syscall could make that call hit an unrelated file. Code
 * that calls into the kernel therefore brackets the call with {@link #acquire()} and {@link
 * #release()}; {@link #close()} marks the Fd closed at once (later acquires fail with {@link
 * IllegalStateException}) but defers close(2) until the last in-flight call has released it, as
 * the JDK's own channels do.
 *
 * <p>The read and write helpers accept native segments without copying (a mapped region, a big
 * direct buffer) and heap segments or arrays through a bounded bounce buffer.
 */
public final class Fd implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Fd.class.getName());
  /** Largest bounce buffer used for heap memory, in bytes. */
  static final int BOUNCE_BYTES = 1 << 20;
  private static final int CLOSED = 1 << 30;

  private final int fd;
  /** Calls in flight, plus {@link #CLOSED} once close was requested. */
  private final AtomicInteger state = new AtomicInteger();

  /**
   * Takes ownership of the open descriptor {@code fd}.
   *
   * @param fd an open descriptor nobody else closes
   */
  public Fd(int fd) {
    if (fd < 0) throw new IllegalArgumentException("not a file descriptor: " + fd);
    this.fd = fd;
  }

  /**
   * The descriptor number, for handing to code that keeps this Fd open while it uses the number.
   *
   * @return the descriptor number
   * @throws IllegalStateException if this Fd was closed
   */
  public int value() {
    if ((state.get() & CLOSED) != 0) throw closedError();
    return fd;
  }

  /**
   * Whether {@link #close()} has not been called yet.
   *
   * @return true until {@link #close()}
   */
  public boolean isOpen() {
    return (state.get() & CLOSED) == 0;
  }

  /**
   * Pins the descriptor for one native call and returns its number; every successful acquire must
   * be paired with one {@link #release()}.
   *
   * @return the descriptor number, valid until {@link #release()}
   * @throws IllegalStateException if this Fd was closed
   */
  public int acquire() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) throw closedError();
      if (state.compareAndSet(s, s + 1)) return fd;
    }
  }

  /** Ends a call begun with {@link #acquire()}; performs a deferred close(2) if it was the last. */
  public void release() {
    while (true) {
      int s = state.get();
      if ((s & ~CLOSED) == 0) {
        throw new IllegalStateException("release() without acquire() on " + this);
      }
      if (state.compareAndSet(s, s - 1)) {
        if (s - 1 == CLOSED) closeNow();
        return;
      }
    }
  }

  /** Closes the descriptor now, or when the last in-flight call releases it. Idempotent. */
  @Override
  public void close() {
    close(null);
  }

  /**
   * Like {@link #close()}, but if calls are in flight first runs {@code whileBusy} with the still
   * valid descriptor number, e.g. a shutdown(2) that wakes a thread blocked on a socket.
   */
  void close(IntConsumer whileBusy) {
    int s;
    do {
      s = state.get();
      if ((s & CLOSED) != 0) return;
    } while (!state.compareAndSet(s, (s + 1) | CLOSED));
    try {
      if (s > 0 && whileBusy != null) whileBusy.accept(fd);
    } finally {
      release();
    }
  }

  /**
   * A new close-on-exec descriptor for the same open file (fcntl(2) F_DUPFD_CLOEXEC).
   *
   * @return the new descriptor, owned by the caller
   * @throws PosixException with the errno the call set (EMFILE at the descriptor limit)
   */
  public Fd dup() throws PosixException {
    int v = acquire();
    try {
      return new Fd(Posix.dup(v));
    } finally {
      release();
    }
  }

  /**
   * What the descriptor refers to, as the kernel names it in {@code /proc/self/fd} (readlink(2)): a
   * path, {@code anon_inode:[eventfd]}, {@code pipe:[1234]}, {@code socket:[5678]}, ...
   *
   * @return the link's text
   * @throws PosixException with the errno readlink(2) set
   */
  public String target() throws PosixException {
    int v = acquire();
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/" + v)).toString();
    } catch (IOException e) {
      throw new PosixException("readlink(/proc/self/fd/" + v + ")", Errno.EBADF, e.getMessage());
    } finally {
      release();
    }
  }

  /**
   * The file's seals (fcntl(2) F_GET_SEALS, {@link Layouts#F_SEAL_SHRINK} and friends), or -1 if
   * the file cannot carry seals (not shmem/memfd: EINVAL).
   *
   * @return the {@code F_SEAL_*} bits, or -1
   * @throws PosixException with the errno the call set, EINVAL excepted
   */
  public int seals() throws PosixException {
    int v = acquire();
    try {
      return Posix.fcntl(v, Layouts.F_GET_SEALS, 0);
    } catch (PosixException e) {
      if (e.errno() == Errno.EINVAL) return -1;
      throw e;
    } finally {
      release();
    }
  }

  /**
   * Adds seals (fcntl(2) F_ADD_SEALS); EPERM if the file was sealed against it (F_SEAL_SEAL).
   *
   * @param seals the {@code F_SEAL_*} bits to add
   * @throws PosixException with the errno the call set
   */
  public void addSeals(int seals) throws PosixException {
    int v = acquire();
    try {
      Posix.fcntl(v, Layouts.F_ADD_SEALS, seals);
    } finally {
      release();
    }
  }

  /**
   * Sets O_NONBLOCK on the open file description (fcntl(2) F_SETFL). The mode belongs to the file
   * description, which a peer that passed the descriptor shares: it becomes non-blocking for it too.
   *
   * @throws PosixException with the errno the call set
   */
  public void setNonBlocking() throws PosixException {
    int v = acquire();
    try {
      int flags = Posix.fcntl(v, Layouts.F_GETFL, 0);
      Posix.fcntl(v, Layouts.F_SETFL, flags | Layouts.O_NONBLOCK);
    } finally {
      release();
    }
  }

  /**
   * One read(2) into {@code dst}; returns the bytes read, 0 meaning end of file.
   *
   * @param dst receives the bytes
   * @return bytes read, 0 at end of file
   * @throws PosixException with the errno the call set
   */
  public long read(MemorySegment dst) throws PosixException {
    if (dst.isReadOnly()) throw new IllegalArgumentException("read-only destination " + dst);
    int v = acquire();
    try {
      if (dst.isNative()) return Posix.read(v, dst, dst.byteSize());
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment bounce = arena.allocate(Math.min(dst.byteSize(), BOUNCE_BYTES));
        long n = Posix.read(v, bounce, bounce.byteSize());
        MemorySegment.copy(bounce, 0, dst, 0, n);
        return n;
      }
    } finally {
      release();
    }
  }

  /**
   * One read(2) into {@code b[off, off+len)}; returns the bytes read, 0 meaning end of file.
   *
   * @param b receives the bytes
   * @param off the first index written
   * @param len bytes to read at most
   * @return bytes read, 0 at end of file
   * @throws PosixException with the errno the call set
   */
  public int read(byte[] b, int off, int len) throws PosixException {
    return (int) read(MemorySegment.ofArray(b).asSlice(off, len));
  }

  /**
   * Reads until {@code dst} is full.
   *
   * @param dst receives the bytes, all of it
   * @throws EOFException if end of file comes first
   * @throws PosixException with the errno the call set
   */
  public void readFully(MemorySegment dst) throws PosixException, EOFException {
    long done = 0;
    while (done < dst.byteSize()) {
      long n = read(dst.asSlice(done));
      if (n == 0) {
        throw new EOFException("end of file on " + this + " after " + done + " of "
            + dst.byteSize() + " bytes");
      }
      done += n;
    }
  }

  /**
   * One write(2) from {@code src}; returns the bytes written, possibly fewer than its size.
   *
   * @param src the bytes
   * @return bytes written
   * @throws PosixException with the errno the call set
   */
  public long write(MemorySegment src) throws PosixException {
    int v = acquire();
    try {
      if (src.isNative()) return Posix.write(v, src, src.byteSize());
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment bounce = arena.allocate(Math.min(src.byteSize(), BOUNCE_BYTES));
        MemorySegment.copy(src, 0, bounce, 0, bounce.byteSize());
        return Posix.write(v, bounce, bounce.byteSize());
      }
    } finally {
      release();
    }
  }

  /**
   * Writes all of {@code src}, looping over partial writes.
   *
   * @param src the bytes, all of them
   * @throws PosixException with the errno the call set (EPIPE if the reader closed)
   */
  public void writeFully(MemorySegment src) throws PosixException {
    long done = 0;
    while (done < src.byteSize()) {
      done += write(src.asSlice(done));
    }
  }

  /**
   * Writes all of {@code b[off, off+len)}.
   *
   * @param b the bytes
   * @param off the first index written
   * @param len how many
   * @throws PosixException with the errno the call set (EPIPE if the reader closed)
   */
  public void writeFully(byte[] b, int off, int len) throws PosixException {
    writeFully(MemorySegment.ofArray(b).asSlice(off, len));
  }

  /** Reads one native-endian {@code u64}, as eventfd(2) requires; returns it. */
  long readLong() throws PosixException, EOFException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
      readFully(value);
      return value.get(ValueLayout.JAVA_LONG, 0);
    }
  }

  /** Writes one native-endian {@code u64} with a single write(2), as eventfd(2) requires. */
  void writeLong(long value) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_LONG, value);
      long n = write(buf);
      if (n != Long.BYTES) {
        throw new PosixException("write(" + this + ", 8 bytes)", Errno.EIO, n + " bytes written");
      }
    }
  }

  @Override
  public String toString() {
    return isOpen() ? "Fd[" + fd + "]" : "Fd[" + fd + ", closed]";
  }

  private IllegalStateException closedError() {
    return new IllegalStateException("file descriptor " + fd + " was already closed by this Fd");
  }

  private void closeNow() {
    try {
      Posix.close(fd);
    } catch (PosixException e) {
      LOG.log(System.Logger.Level.WARNING, "closing " + fd + " failed", e);
    }
  }
}
