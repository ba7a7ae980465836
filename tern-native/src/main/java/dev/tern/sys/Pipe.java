package dev.tern.sys;

/**
 * Both ends of a pipe2(2), close-on-exec: bytes written to {@link #writeEnd()} come out of {@link
 * #readEnd()}. Migration data streams travel through such pipes, read and written with the {@link
 * Fd} helpers; closing the write end makes the reader see end of file.
 *
 * @param readEnd the end bytes come out of
 * @param writeEnd the end bytes go into
 */
public record Pipe(Fd readEnd, Fd writeEnd) implements AutoCloseable {

  /**
   * A new blocking pipe.
   *
   * @return the two ends
   * @throws PosixException with the errno pipe2(2) set
   */
  public static Pipe open() throws PosixException {
    int[] fds = Posix.pipe2(Layouts.O_CLOEXEC);
    return new Pipe(new Fd(fds[0]), new Fd(fds[1]));
  }

  /** Closes both ends (each end may also be closed on its own). */
  @Override
  public void close() {
    try {
      writeEnd.close();
    } finally {
      readEnd.close();
    }
  }
}
