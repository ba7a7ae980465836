package dev.tern.sys;

import java.io.EOFException;
import java.time.Duration;

/**
 * An eventfd(2): a kernel {@code u64} counter used as a doorbell. {@link #signal(long)} adds to it;
 * {@link #consume()} returns its value and resets it to 0, blocking while it is 0. vfio-user and
 * VFIO pass such descriptors to signal interrupts and completions between processes.
 *
 * <p>Descriptors this class creates are blocking and close-on-exec. Readiness checks with a
 * timeout use poll(2) rather than {@code EFD_NONBLOCK}, because the blocking mode lives in the open
 * file description, which a peer that received the descriptor shares.
 */
public final class EventFd implements AutoCloseable {
  private final Fd fd;

  private EventFd(Fd fd) {
    this.fd = fd;
  }

  /**
   * A new eventfd whose counter starts at 0.
   *
   * @return the eventfd, close-on-exec
   * @throws PosixException with the errno eventfd(2) set
   */
  public static EventFd create() throws PosixException {
    return new EventFd(new Fd(Posix.eventfd(0, Layouts.EFD_CLOEXEC)));
  }

  /** The name the kernel gives an eventfd in {@code /proc/self/fd}. */
  static final String KERNEL_NAME = "anon_inode:[eventfd]";

  /**
   * Checks that {@code fd}, received from a peer, really is an eventfd, and makes it non-blocking so
   * that {@link #trySignal()} can never stall the caller (a pipe or a socket passed as "eventfd" fills
   * up and would block a write forever). QEMU creates its eventfds non-blocking anyway. Takes ownership
   * of {@code fd} on success only.
   *
   * @param fd the descriptor received
   * @return the eventfd, owning {@code fd}
   * @throws PosixException EINVAL if it is anything else (the caller still owns it)
   */
  public static EventFd fromPeer(Fd fd) throws PosixException {
    String target = fd.target();
    if (!KERNEL_NAME.equals(target)) {
      throw new PosixException("eventfd check of " + fd, Errno.EINVAL, "not an eventfd: " + target);
    }
    fd.setNonBlocking();
    return new EventFd(fd);
  }

  /**
   * Treats {@code fd}, e.g. one received from a peer, as an eventfd; takes ownership of it.
   *
   * @param fd a descriptor the caller knows is an eventfd
   * @return the eventfd, owning {@code fd}
   */
  public static EventFd wrap(Fd fd) {
    return new EventFd(fd);
  }

  /**
   * The descriptor, e.g. to send to a peer; it stays owned by this EventFd.
   *
   * @return the descriptor
   */
  public Fd fd() {
    return fd;
  }

  /**
   * Adds 1 to the counter, waking a waiter.
   *
   * @throws PosixException with the errno write(2) set
   */
  public void signal() throws PosixException {
    signal(1);
  }

  /**
   * Adds {@code n} to the counter; blocks if that would exceed {@code 0xfffffffffffffffe} until a
   * consumer drains it (eventfd(2)).
   *
   * @param n the amount to add, 1 to {@code 0xfffffffffffffffe}
   * @throws PosixException with the errno write(2) set
   */
  public void signal(long n) throws PosixException {
    if (n == 0 || n == -1) {
      throw new IllegalArgumentException("cannot add " + Long.toUnsignedString(n));
    }
    fd.writeLong(n);
  }

  /**
   * Adds 1 unless that would block (the counter is saturated because nobody consumes it: an
   * interrupt is pending anyway, so this one coalesces with it). Needs a non-blocking descriptor
   * ({@link #fromPeer}); on a blocking one it behaves as {@link #signal()}.
   *
   * @return false if the signal was dropped (EAGAIN)
   * @throws PosixException with the errno write(2) set, EAGAIN excepted
   */
  public boolean trySignal() throws PosixException {
    try {
      fd.writeLong(1);
      return true;
    } catch (PosixException e) {
      if (e.errno() == Errno.EAGAIN) return false;
      throw e;
    }
  }

  /**
   * Blocks until the counter is non-zero, then returns it (an unsigned {@code u64}) and resets it
   * to 0. Works on a descriptor a peer made non-blocking too (it waits with poll(2)).
   *
   * @return the counter's value before the reset, never 0
   * @throws PosixException with the errno read(2) or poll(2) set
   */
  public long consume() throws PosixException {
    while (true) {
      try {
        return fd.readLong();
      } catch (EOFException e) {
        throw new PosixException("read(" + fd + ")", Errno.EIO, "eventfd returned end of file");
      } catch (PosixException e) {
        if (e.errno() != Errno.EAGAIN) throw e;
        Poll.poll(fd, Layouts.POLLIN, Duration.ofDays(1));
      }
    }
  }

  /**
   * Like {@link #consume()} but gives up after {@code timeout}. Meant for a single consumer: if
   * another thread drains the counter between the poll and the read, the read blocks.
   *
   * @param timeout the longest wait
   * @return the counter, or 0 on timeout (a successful read never returns 0)
   * @throws PosixException with the errno read(2) or poll(2) set
   */
  public long consume(Duration timeout) throws PosixException {
    return await(timeout) ? consume() : 0;
  }

  /**
   * Waits up to {@code timeout} for the counter to become non-zero without consuming it.
   *
   * @param timeout the longest wait
   * @return true if the counter is non-zero, false on timeout
   * @throws PosixException with the errno poll(2) set
   */
  public boolean await(Duration timeout) throws PosixException {
    return (Poll.poll(fd, Layouts.POLLIN, timeout) & Layouts.POLLIN) != 0;
  }

  /** Closes the descriptor. */
  @Override
  public void close() {
    fd.close();
  }

  @Override
  public String toString() {
    return "EventFd[" + fd + "]";
  }
}
