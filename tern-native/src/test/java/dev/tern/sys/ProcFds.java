package dev.tern.sys;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Test helper: what the kernel says about this process's descriptors, via /proc/self. */
final class ProcFds {
  private ProcFds() {}

  /** Number of open descriptors (the directory stream's own descriptor included, consistently). */
  static long count() {
    try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd"))) {
      return entries.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isOpen(int fd) {
    return Files.exists(Path.of("/proc/self/fd", Integer.toString(fd)), NOFOLLOW_LINKS);
  }

  /** What the descriptor refers to, e.g. {@code "anon_inode:[eventfd]"} or {@code "/memfd:x (deleted)"}. */
  static String target(int fd) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd))).toString();
  }

  /** Whether O_CLOEXEC is set, from the octal {@code flags:} line of /proc/self/fdinfo (proc(5)). */
  static boolean isCloseOnExec(int fd) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(fd)))) {
      if (line.startsWith("flags:")) {
        return (Integer.parseInt(line.substring(6).trim(), 8) & Layouts.O_CLOEXEC) != 0;
      }
    }
    throw new IllegalStateException("no flags line for fd " + fd);
  }

  /** Resident set size of this process in KiB (VmRSS in /proc/self/status). */
  static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring(6).replace("kB", "").trim());
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
