package dev.tern.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@code MAP_SHARED} mapping of a file descriptor, usually a memfd: memory two processes see at
 * once, such as vfio-user DMA regions and migration buffers.
 *
 * <p>The mapping is tied to a shared {@link Arena}, so after {@link #close()} any access through
 * {@link #segment()} throws {@link IllegalStateException} instead of touching unmapped memory; the
 * munmap(2) runs as the arena's cleanup. mmap(2) only reserves address space and tmpfs allocates
 * pages on first touch, so multi-GiB regions cost nothing until used.
 *
 * <p>A segment handed to a blocking syscall by raw address (an iovec in sendmsg/recvmsg) is not
 * kept alive by the arena: do not close a SharedMemory while such I/O into it is in flight.
 */
public final class SharedMemory implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SharedMemory.class.getName());

  /** The seals {@link #create} adds. */
  static final int SEALS = Layouts.F_SEAL_SHRINK | Layouts.F_SEAL_GROW | Layouts.F_SEAL_SEAL;

  private final Fd fd;
  private final Arena arena;
  private final MemorySegment segment;
  private final long offset;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SharedMemory(Fd fd, Arena arena, MemorySegment segment, long offset) {
    this.fd = fd;
    this.arena = arena;
    this.segment = segment;
    this.offset = offset;
  }

  /**
   * A new anonymous memfd of {@code size} bytes (zero-filled), mapped read-write.
   *
   * <p>The memfd is sealed against shrinking and growing, and against further seals
   * ({@code F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL}, as QEMU's {@code memory-backend-memfd}
   * does by default): a peer that maps it (a vfio-user server DMA-mapping guest memory) can rely on
   * its pages never vanishing, which a shrink would turn into SIGBUS in the peer, and nobody can
   * seal it further under us. Where {@code vm.memfd_noexec=2} refuses an executable memfd (EACCES),
   * {@code MFD_NOEXEC_SEAL} is used.
   *
   * @param name shown in {@code /proc/<pid>/fd} as {@code /memfd:name}; at most 249 bytes
   * @param size the size in bytes (the memfd's exact size)
   * @return the mapping, owning its memfd
   * @throws PosixException with the errno of the failed call (memfd_create, ftruncate, fcntl, mmap)
   */
  public static SharedMemory create(String name, long size) throws PosixException {
    if (size <= 0) throw new IllegalArgumentException("size must be positive: " + size);
    Fd fd = new Fd(memfd(name));
    try {
      PosixMemory.ftruncate(fd.value(), size);
      fd.addSeals(SEALS);
      return map(fd, 0, size, true);
    } catch (PosixException | RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /**
   * Maps {@code size} bytes of {@code fd} from {@code offset} (a multiple of the page size), e.g.
   * a DMA region fd received from a peer. On success this SharedMemory owns {@code fd} and closes
   * it in {@link #close()}; on failure the caller still owns it. Read-only mappings yield a
   * read-only segment.
   *
   * @param fd the file to map (a memfd, a DMA region fd)
   * @param offset the file offset, page-aligned
   * @param size bytes to map
   * @param writable false for a read-only mapping
   * @return the mapping
   * @throws PosixException with the errno mmap(2) set
   */
  public static SharedMemory map(Fd fd, long offset, long size, boolean writable)
      throws PosixException {
    if (size <= 0) throw new IllegalArgumentException("size must be positive: " + size);
    if (offset < 0) throw new IllegalArgumentException("offset must not be negative: " + offset);
    int prot = writable ? Layouts.PROT_READ | Layouts.PROT_WRITE : Layouts.PROT_READ;
    MemorySegment raw;
    int v = fd.acquire();
    try {
      raw = PosixMemory.mmap(size, prot, Layouts.MAP_SHARED, v, offset);
    } finally {
      fd.release();
    }
    long address = raw.address();
    Arena arena = Arena.ofShared();
    MemorySegment segment = raw.reinterpret(size, arena, _ -> unmap(address, size));
    return new SharedMemory(fd, arena, writable ? segment : segment.asReadOnly(), offset);
  }

  /**
   * The mapped bytes.
   *
   * @return the mapping, as large as {@link #size()}
   * @throws IllegalStateException if this SharedMemory was closed
   */
  public MemorySegment segment() {
    if (closed.get()) throw new IllegalStateException("shared memory on " + fd + " was closed");
    return segment;
  }

  /**
   * The mapped descriptor, e.g. to send to a peer; it stays owned by this SharedMemory.
   *
   * @return the descriptor
   */
  public Fd fd() {
    return fd;
  }

  /**
   * Size of the mapping in bytes.
   *
   * @return the size in bytes
   */
  public long size() {
    return segment.byteSize();
  }

  /**
   * Offset of the mapping within the file.
   *
   * @return the offset in bytes
   */
  public long offset() {
    return offset;
  }

  /**
   * Allocates and maps every page now, in one call (madvise MADV_POPULATE_WRITE), instead of one page fault per
   * 4 KiB on first touch — the difference between ~1 and several GB/s when a fresh mapping is written at full
   * speed, e.g. while state is loaded during a migration's downtime. Kernels before 5.14 answer EINVAL; the pages
   * are then touched one by one (same effect, slower).
   *
   * @throws PosixException with the errno madvise(2) set, other than EINVAL
   */
  public void populate() throws PosixException {
    final MemorySegment s = segment();
    if (s.isReadOnly()) throw new IllegalStateException("populate needs a writable mapping");
    try {
      PosixMemory.madvise(s.address(), s.byteSize(), Layouts.MADV_POPULATE_WRITE);
    } catch (PosixException e) {
      if (e.errno() != Errno.EINVAL) throw e;
      for (long off = 0; off < s.byteSize(); off += 4096) {
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off));
      }
    }
  }

  /**
   * Copies {@code dst.byteSize()} bytes at {@code offset} of this memory into native memory {@code dst} with
   * pread(2) on the fd: same bytes as the mapping, but pages never touched read as zeros without being allocated.
   *
   * @param offset the offset within this memory
   * @param dst receives the bytes, all of it
   * @throws PosixException with the errno pread(2) set
   */
  public void readInto(long offset, MemorySegment dst) throws PosixException {
    if (offset < 0 || offset > size() - dst.byteSize()) {
      throw new IndexOutOfBoundsException("read of " + dst.byteSize() + " at " + offset + " outside " + size());
    }
    long done = 0;
    while (done < dst.byteSize()) {
      long n = Posix.pread(fd.value(), dst.asSlice(done), dst.byteSize() - done, this.offset + offset + done);
      if (n == 0) throw new PosixException("pread", Errno.EIO, "unexpected end of memfd at " + (offset + done));
      done += n;
    }
  }

  /**
   * Where the next written bytes are: lseek(2) {@code SEEK_DATA} on the fd. A page never written is
   * a hole: it reads as zeros, and reading it through {@link #segment()} would allocate it.
   *
   * @param offset where to start looking, within this memory
   * @return the offset (within this memory) of the first data byte at or after {@code offset}, or
   *     {@link #size()} if only holes follow
   * @throws PosixException with the errno lseek(2) set
   */
  public long nextData(long offset) throws PosixException {
    return seek(offset, Layouts.SEEK_DATA);
  }

  /**
   * Where the next hole is: lseek(2) {@code SEEK_HOLE} on the fd (see {@link #nextData}).
   *
   * @param offset where to start looking, within this memory
   * @return the offset (within this memory) of the first hole byte at or after {@code offset}, or
   *     {@link #size()} if only data follows
   * @throws PosixException with the errno lseek(2) set
   */
  public long nextHole(long offset) throws PosixException {
    return seek(offset, Layouts.SEEK_HOLE);
  }

  /** What {@link #visitRuns} hands out, in order: the data and hole runs of a range. */
  public interface RunVisitor {
    /**
     * Bytes {@code [from, to)} hold data.
     *
     * @param mapping the whole mapping, to read them through
     * @param from first byte, within this memory
     * @param to end, exclusive
     */
    void data(MemorySegment mapping, long from, long to);

    /**
     * Bytes {@code [from, to)} are a hole: they read as zeros, and reading them through the mapping
     * would allocate them ({@link #zeros()} has the same bytes).
     *
     * @param from first byte, within this memory
     * @param to end, exclusive
     */
    void hole(long from, long to);
  }

  /**
   * Walks {@code [offset, offset + length)} as its runs of data and holes ({@link #nextData}, {@link
   * #nextHole}), each once and in order. If lseek(2) fails (not expected on a memfd) the rest of the
   * range is reported as data: the mapping has those bytes too, it only allocates untouched pages.
   *
   * @param offset first byte, within this memory
   * @param length bytes
   * @param visitor receives the runs
   */
  public void visitRuns(long offset, long length, RunVisitor visitor) {
    long end = offset + length;
    long at = offset;
    try {
      while (at < end) {
        long data = Math.min(nextData(at), end);
        if (data > at) visitor.hole(at, data);
        at = data;
        if (at == end) return;
        long hole = Math.min(nextHole(at), end);
        visitor.data(segment(), at, hole);
        at = hole;
      }
    } catch (PosixException e) {
      visitor.data(segment(), at, end);
    }
  }

  private long seek(long offset, int whence) throws PosixException {
    if (offset < 0 || offset > size()) {
      throw new IndexOutOfBoundsException("offset " + offset + " outside " + size());
    }
    if (offset == size()) return size();
    long at = PosixMemory.seek(fd.value(), this.offset + offset, whence);
    return at < 0 ? size() : Math.min(at - this.offset, size());
  }

  /**
   * Copies {@code dst.byteSize()} bytes at {@code offset} into {@code dst} without allocating pages never touched:
   * into native memory with {@link #readInto} (a read through the shared mapping would allocate and zero each
   * such page: shmem has no shared zero page for {@code MAP_SHARED}), through the mapping otherwise or if
   * pread(2) fails (same bytes, only slower on untouched pages).
   *
   * @param offset the offset within this memory
   * @param dst receives the bytes, all of it
   */
  public void copyOut(long offset, MemorySegment dst) {
    if (dst.isNative()) {
      try {
        readInto(offset, dst);
        return;
      } catch (PosixException | IllegalStateException e) {
        // fall through to the mapping
      }
    }
    MemorySegment.copy(segment(), offset, dst, 0, dst.byteSize());
  }

  /**
   * The process's one source of zeros: a read-only anonymous mapping of {@value #ZEROS_BYTES} bytes
   * ({@link PosixMemory#zeros}) whose every page is the kernel's zero page, so reading it (a gathered send of
   * padding, a checksum over a hole) allocates and writes nothing. Mapped on first use, never unmapped.
   *
   * @return the zeros
   * @throws IllegalStateException if it cannot be mapped
   */
  public static MemorySegment zeros() {
    return Zeros.SEGMENT;
  }

  /** Bytes of {@link #zeros()}: larger runs of zeros are taken in pieces. */
  public static final long ZEROS_BYTES = 4L << 20;

  private static final class Zeros {
    static final MemorySegment SEGMENT = map();

    private static MemorySegment map() {
      try {
        return PosixMemory.zeros(ZEROS_BYTES);
      } catch (PosixException e) {
        throw new IllegalStateException("cannot map " + ZEROS_BYTES + " bytes of zeros", e);
      }
    }
  }

  /**
   * Whether the mapping may be written.
   *
   * @return true for a writable mapping
   */
  public boolean isWritable() {
    return !segment.isReadOnly();
  }

  /**
   * Unmaps the memory, invalidating every view of {@link #segment()}, and closes the descriptor.
   * Idempotent.
   *
   * @throws IllegalStateException if a downcall is using the segment right now; retry later
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    try {
      arena.close();
    } catch (IllegalStateException e) {
      closed.set(false);
      throw e;
    }
    fd.close();
  }

  @Override
  public String toString() {
    return "SharedMemory[" + fd + ", offset=" + offset + ", size=" + segment.byteSize()
        + (isWritable() ? ", rw" : ", ro") + (closed.get() ? ", closed]" : "]");
  }

  private static int memfd(String name) throws PosixException {
    try {
      return PosixMemory.memfdCreate(name, Layouts.MFD_CLOEXEC | Layouts.MFD_ALLOW_SEALING);
    } catch (PosixException e) {
      if (e.errno() != Errno.EACCES) throw e;
      return PosixMemory.memfdCreate(name, Layouts.MFD_CLOEXEC | Layouts.MFD_NOEXEC_SEAL);
    }
  }

  private static void unmap(long address, long size) {
    try {
      PosixMemory.munmap(address, size);
    } catch (PosixException e) {
      LOG.log(System.Logger.Level.ERROR, "munmap failed; address space leaked", e);
    }
  }
}
