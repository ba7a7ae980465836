package dev.tern.sys;

/**
 * recvmsg(2) reported {@code MSG_CTRUNC}: the peer attached more descriptors than the receiver
 * allowed, so the kernel dropped the surplus (cmsg(3), unix(7)). The descriptors that did arrive
 * have already been closed, so nothing leaks; the data bytes of that read were consumed and are in
 * the destination, {@link #bytesReceived()} says how many, so a caller can resynchronise on its
 * protocol's message boundary.
 *
 * <p>The errno is {@link Errno#EFAULT}, as libvfio-user reports truncated control data.
 */
public final class ControlTruncatedException extends PosixException {
  private static final long serialVersionUID = 1L;

  /** Data bytes the truncated read consumed ({@link #bytesReceived()}). */
  private final long bytesReceived;

  ControlTruncatedException(String call, long bytesReceived, int allowedFds, int arrivedFds) {
    super(call, Errno.EFAULT,
        "control data truncated (MSG_CTRUNC): peer sent more than the " + allowedFds
            + " fd(s) allowed; the " + arrivedFds + " that arrived were closed, "
            + bytesReceived + " data byte(s) consumed");
    this.bytesReceived = bytesReceived;
  }

  /**
   * Data bytes stored in the destination by the failed receive, the last recvmsg(2) included
   * (for {@code receiveExactly}, also those of its earlier reads).
   *
   * @return the count
   */
  public long bytesReceived() {
    return bytesReceived;
  }
}
