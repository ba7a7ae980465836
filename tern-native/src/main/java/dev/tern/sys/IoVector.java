package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A reusable array of {@code struct iovec} ({@link Layouts#IOVEC}) for one gather sendmsg(2):
 * pieces of native memory are appended as (base segment, offset, length) and written straight
 * into the native array, so filling it creates no segment per piece and, once it has grown to the
 * largest send, allocates nothing. {@link UnixSocket#send(IoVector)} sends it.
 *
 * <p>The kernel reads the pieces by raw address. The vector keeps every base segment reachable
 * until {@link #clear()}, so automatic and GC-managed memory stays allocated, but it cannot keep a
 * closed arena's memory mapped: do not close a {@link SharedMemory} (or an arena) while a vector
 * holding a piece of it is unsent (the send would fail with EFAULT, or read whatever was mapped at
 * that address since). Not thread-safe: one owner fills it, then sends it.
 */
public final class IoVector {

  private static final long ENTRY = Layouts.IOVEC.byteSize();

  private final Arena arena = Arena.ofAuto();
  private MemorySegment entries;
  /** The base of each entry, only to keep its memory reachable while the kernel reads it. */
  private MemorySegment[] bases;
  private int count;
  /** The first entry not yet sent (a partial sendmsg leaves the one before it trimmed). */
  private int first;
  private long bytes;

  /**
   * An empty vector with room for {@code capacity} pieces (it grows when more are added).
   *
   * @param capacity initial number of entries, at least 1
   */
  public IoVector(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    entries = arena.allocate(Layouts.IOVEC, capacity);
    bases = new MemorySegment[capacity];
  }

  /** Forgets every piece (and the references that kept their memory reachable). */
  public void clear() {
    Arrays.fill(bases, 0, count, null);
    count = 0;
    first = 0;
    bytes = 0;
  }

  /**
   * Appends {@code length} bytes of {@code base} from {@code offset}; a piece that continues the
   * previous one in memory extends it. Nothing is appended for 0 bytes.
   *
   * @param base native memory (a mapping, a direct buffer's segment)
   * @param offset first byte, within {@code base}
   * @param length bytes
   * @throws IllegalArgumentException if {@code base} is a heap segment
   * @throws IndexOutOfBoundsException if the range is outside {@code base}
   */
  public void add(MemorySegment base, long offset, long length) {
    if (!base.isNative()) throw new IllegalArgumentException("a gather send needs native memory");
    Objects.checkFromIndexSize(offset, length, base.byteSize());
    if (length == 0) return;
    long address = base.address() + offset;
    if (count > first && bases[count - 1] == base && address == end(count - 1)) {
      entries.set(JAVA_LONG, (count - 1) * ENTRY + Layouts.IOV_LEN, length(count - 1) + length);
    } else {
      grow();
      bases[count] = base;
      entries.set(JAVA_LONG, count * ENTRY + Layouts.IOV_BASE, address);
      entries.set(JAVA_LONG, count * ENTRY + Layouts.IOV_LEN, length);
      count++;
    }
    bytes += length;
  }

  /**
   * Appends {@code length} zero bytes from one read-only anonymous mapping shared by every vector:
   * the kernel reads its zero page, so no memory is allocated or written however many are sent.
   *
   * @param length bytes, at least 0
   */
  public void addZeros(long length) {
    if (length < 0) throw new IllegalArgumentException("negative length: " + length);
    MemorySegment zeros = SharedMemory.zeros();
    for (long left = length; left > 0; ) {
      long k = Math.min(left, SharedMemory.ZEROS_BYTES);
      grow();
      bases[count] = zeros;
      entries.set(JAVA_LONG, count * ENTRY + Layouts.IOV_BASE, zeros.address());
      entries.set(JAVA_LONG, count * ENTRY + Layouts.IOV_LEN, k);
      count++;
      bytes += k;
      left -= k;
    }
  }

  /**
   * Appends an empty entry (0 bytes, no memory) to be {@link #set} later, e.g. the slot of a header
   * that another layer writes once the pieces after it are known.
   *
   * @return its index
   */
  public int reserve() {
    grow();
    bases[count] = null;
    entries.set(JAVA_LONG, count * ENTRY + Layouts.IOV_BASE, 0L);
    entries.set(JAVA_LONG, count * ENTRY + Layouts.IOV_LEN, 0L);
    return count++;
  }

  /**
   * Replaces piece {@code index}, e.g. a header slot added first and written once the length of
   * what follows is known.
   *
   * @param index an entry added before (not yet sent)
   * @param base native memory
   * @param offset first byte, within {@code base}
   * @param length bytes, at least 1
   */
  public void set(int index, MemorySegment base, long offset, long length) {
    Objects.checkIndex(index, count);
    if (!base.isNative()) throw new IllegalArgumentException("a gather send needs native memory");
    if (length < 1) throw new IllegalArgumentException("an entry has at least 1 byte: " + length);
    Objects.checkFromIndexSize(offset, length, base.byteSize());
    bytes += length - length(index);
    bases[index] = base;
    entries.set(JAVA_LONG, index * ENTRY + Layouts.IOV_BASE, base.address() + offset);
    entries.set(JAVA_LONG, index * ENTRY + Layouts.IOV_LEN, length);
  }

  /**
   * Number of pieces (merged pieces count once).
   *
   * @return the number of iovec entries
   */
  public int count() {
    return count;
  }

  /**
   * Bytes not yet sent, in all pieces.
   *
   * @return the sum of the entries' lengths from the first unsent one
   */
  public long byteSize() {
    return bytes;
  }

  /**
   * The length of piece {@code index} as the kernel will see it.
   *
   * @param index an entry
   * @return its {@code iov_len}
   */
  public long length(int index) {
    Objects.checkIndex(index, count);
    return entries.get(JAVA_LONG, index * ENTRY + Layouts.IOV_LEN);
  }

  // ---- the send side (SocketSender) ----

  /** Address of the first unsent entry, for {@code msg_iov}. */
  long unsentAddress() {
    return entries.address() + first * ENTRY;
  }

  /** Entries from the first unsent one, at most {@link Layouts#IOV_MAX} (one sendmsg's worth). */
  int unsentEntries() {
    return Math.min(count - first, Layouts.IOV_MAX);
  }

  /** Marks {@code n} bytes sent: whole entries are skipped, a partly sent one is trimmed in place. */
  void sent(long n) {
    bytes -= n;
    while (n > 0) {
      long len = length(first);
      if (n >= len) {
        n -= len;
        first++;
      } else {
        long at = first * ENTRY;
        entries.set(JAVA_LONG, at + Layouts.IOV_BASE, entries.get(JAVA_LONG, at + Layouts.IOV_BASE) + n);
        entries.set(JAVA_LONG, at + Layouts.IOV_LEN, len - n);
        n = 0;
      }
    }
  }

  private long end(int index) {
    return entries.get(JAVA_LONG, index * ENTRY + Layouts.IOV_BASE) + length(index);
  }

  private void grow() {
    if (count < bases.length) return;
    int capacity = bases.length * 2;
    MemorySegment larger = arena.allocate(Layouts.IOVEC, capacity);
    larger.copyFrom(entries);
    entries = larger;
    bases = Arrays.copyOf(bases, capacity);
  }
}
