package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/** The setsockopt(2) calls of a {@link UnixSocket}: timeouts and buffer sizes (socket(7)). */
final class SocketOptions {
  private SocketOptions() {}

  /** SO_RCVTIMEO; zero means none. */
  static void receiveTimeout(Fd fd, Duration timeout) throws PosixException {
    int sock = fd.acquire();
    try {
      timeout(sock, Layouts.SO_RCVTIMEO, timeout);
    } finally {
      fd.release();
    }
  }

  /** SO_SNDTIMEO of a socket not yet shared; zero means none. */
  static void sendTimeout(Fd fd, Duration timeout) throws PosixException {
    timeout(fd.value(), Layouts.SO_SNDTIMEO, timeout);
  }

  /** SO_SNDBUF and SO_RCVBUF, both to {@code bytes} (the kernel doubles and caps them). */
  static void bufferSizes(Fd fd, int bytes) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment v = arena.allocate(JAVA_INT);
      v.set(JAVA_INT, 0, bytes);
      int sock = fd.acquire();
      try {
        PosixSockets.setsockopt(sock, Layouts.SOL_SOCKET, Layouts.SO_SNDBUF, v);
        PosixSockets.setsockopt(sock, Layouts.SOL_SOCKET, Layouts.SO_RCVBUF, v);
      } finally {
        fd.release();
      }
    }
  }

  /** SO_SNDTIMEO or SO_RCVTIMEO; zero means none, a positive timeout below 1 µs is rounded up. */
  private static void timeout(int sock, int option, Duration timeout) throws PosixException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment tv = arena.allocate(Layouts.TIMEVAL);
      long micros = timeout.isZero() ? 0 : Math.max(1, timeout.toNanos() / 1000);
      tv.set(JAVA_LONG, Layouts.TV_SEC, micros / 1_000_000);
      tv.set(JAVA_LONG, Layouts.TV_USEC, micros % 1_000_000);
      PosixSockets.setsockopt(sock, Layouts.SOL_SOCKET, option, tv);
    }
  }
}
