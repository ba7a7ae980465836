package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * Waits for readiness on one or several descriptors with poll(2), keeping the caller's deadline
 * across EINTR and across timeouts longer than poll's {@code int} milliseconds.
 *
 * <p>Events and returned {@code revents} are the {@code POLL*} bits of {@link Layouts}; {@code
 * POLLERR}, {@code POLLHUP} and {@code POLLNVAL} are reported even when not requested.
 */
public final class Poll {
  /** A timeout meaning "wait until something happens": any negative duration works. */
  public static final Duration FOREVER = Duration.ofMillis(-1);

  private Poll() {}

  /**
   * Polls a single descriptor.
   *
   * @param fd the descriptor
   * @param events the {@code POLL*} bits to wait for
   * @param timeout how long to wait; {@link Duration#ZERO} only checks, negative waits forever
   * @return its {@code revents}, 0 if {@code timeout} passed first
   * @throws PosixException with the errno poll(2) set, EINTR excepted
   */
  public static int poll(Fd fd, int events, Duration timeout) throws PosixException {
    return poll(new Fd[] {fd}, new int[] {events}, timeout)[0];
  }

  /**
   * Polls {@code fds[i]} for {@code events[i]}.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} only checks, negative waits forever
   * @param fds the descriptors
   * @param events the {@code POLL*} bits to wait for, per descriptor
   * @return the {@code revents} of each descriptor, all 0 if {@code timeout} passed first
   * @throws IllegalStateException if a descriptor was already closed
   * @throws PosixException with the errno poll(2) set, EINTR excepted
   */
  public static int[] poll(Fd[] fds, int[] events, Duration timeout) throws PosixException {
    if (fds.length != events.length) {
      throw new IllegalArgumentException(fds.length + " fds but " + events.length + " event masks");
    }
    int[] raw = new int[fds.length];
    int acquired = 0;
    try {
      for (Fd fd : fds) {
        int v = fd.acquire();
        raw[acquired++] = v;
      }
      return pollRaw(raw, events, timeout);
    } finally {
      for (int i = 0; i < acquired; i++) fds[i].release();
    }
  }

  /** {@link #poll(Fd[], int[], Duration)} for descriptors the caller has acquired. */
  static int[] pollRaw(int[] fds, int[] events, Duration timeout) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment pollfds = arena.allocate(Layouts.POLLFD, Math.max(1, fds.length));
      for (int i = 0; i < fds.length; i++) {
        long base = i * Layouts.POLLFD.byteSize();
        pollfds.set(JAVA_INT, base + Layouts.POLLFD_FD, fds[i]);
        pollfds.set(JAVA_SHORT, base + Layouts.POLLFD_EVENTS, (short) events[i]);
      }
      pollUntil(pollfds, fds.length, timeout);
      int[] revents = new int[fds.length];
      for (int i = 0; i < fds.length; i++) {
        long base = i * Layouts.POLLFD.byteSize();
        revents[i] = Short.toUnsignedInt(pollfds.get(JAVA_SHORT, base + Layouts.POLLFD_REVENTS));
      }
      return revents;
    }
  }

  private static void pollUntil(MemorySegment pollfds, int nfds, Duration timeout)
      throws PosixException {
    pollUntil(pollfds, nfds, timeout.isNegative() ? -1 : saturatedNanos(timeout));
  }

  /**
   * poll(2) of {@code nfds} prepared entries until one is ready or {@code nanos} passed (negative:
   * forever), across EINTR; the {@code revents} are left in {@code pollfds}.
   */
  static void pollUntil(MemorySegment pollfds, int nfds, long nanos) throws PosixException {
    boolean forever = nanos < 0;
    long deadline = forever ? 0 : System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 4);
    while (true) {
      int millis = forever ? -1 : remainingMillis(deadline);
      try {
        if (Posix.poll(pollfds, nfds, millis) > 0) return;
      } catch (PosixException e) {
        if (e.errno() != Errno.EINTR) throw e;
        continue;
      }
      if (!forever && deadline - System.nanoTime() <= 0) return;
    }
  }

  /** Milliseconds left until {@code deadline}, rounded up so poll never returns early. */
  private static int remainingMillis(long deadline) {
    long nanos = Math.max(0, deadline - System.nanoTime());
    long millis = (nanos + 999_999) / 1_000_000;
    return (int) Math.min(millis, Integer.MAX_VALUE);
  }

  /** {@code d} in nanoseconds, capped so adding it to {@link System#nanoTime()} cannot overflow. */
  static long saturatedNanos(Duration d) {
    try {
      return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4;
    }
  }
}
