package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Errors from real failing syscalls carry the errno, its name and strerror text. */
class PosixTest {

  @Test
  void errnoNamesCoverTernsNumbersAndAliases() {
    assertThat(Errno.name(Errno.EINVAL)).isEqualTo("EINVAL");
    assertThat(Errno.name(11)).isEqualTo("EAGAIN");
    assertThat(Errno.name(Errno.EWOULDBLOCK)).isEqualTo("EAGAIN");
    assertThat(Errno.name(95)).isEqualTo("ENOTSUP");
    assertThat(Errno.name(111)).isEqualTo("ECONNREFUSED");
    assertThat(Errno.name(4242)).isEqualTo("errno 4242");
  }

  @Test
  void strerrorIsLibcText() {
    assertThat(Posix.strerror(Errno.ENOENT)).isEqualTo("No such file or directory");
    assertThat(Posix.strerror(Errno.ENOMEM)).isEqualTo("Cannot allocate memory");
    assertThat(Posix.strerror(4242)).contains("4242");
  }

  @Test
  void failedCallNamesCallArgumentsErrnoAndText() {
    assertThatThrownBy(() -> Posix.close(-1))
        .isInstanceOfSatisfying(PosixException.class, e -> {
          assertThat(e.errno()).isEqualTo(Errno.EBADF);
          assertThat(e.errnoName()).isEqualTo("EBADF");
        })
        .hasMessage("close(fd=-1): EBADF (Bad file descriptor)");
    assertThatThrownBy(() -> PosixMemory.mmap(4096, Layouts.PROT_READ, Layouts.MAP_SHARED, -1, 0))
        .hasMessage("mmap(fd=-1, size=4096, offset=0): EBADF (Bad file descriptor)");
  }

  @Test
  void errnoOfOneCallIsNotConfusedWithAnother() throws Exception {
    int[] pipe = Posix.pipe2(Layouts.O_CLOEXEC);
    try {
      assertThatThrownBy(() -> PosixMemory.ftruncate(pipe[0], 10))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
          .hasMessageStartingWith("ftruncate(fd=" + pipe[0] + ", length=10): EINVAL (Invalid argument)");
      assertThatThrownBy(() -> PosixSockets.connect(pipe[0], Path.of("/nonexistent/tern.sock")))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTSOCK));
    } finally {
      Posix.close(pipe[0]);
      Posix.close(pipe[1]);
    }
  }

  @Test
  void readAndWriteRefuseCountsBeyondTheBuffer() throws Exception {
    try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(8);
      assertThatThrownBy(() -> Posix.write(pipe.writeEnd().value(), buf, 9))
          .isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> Posix.read(pipe.readEnd().value(), buf, 9))
          .isInstanceOf(IndexOutOfBoundsException.class);
    }
  }

  @Test
  void getpidIsThisProcess() {
    assertThat((long) Posix.getpid()).isEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void errnoIsCapturedPerThread() throws Exception {
    int[] pipe = Posix.pipe2(Layouts.O_CLOEXEC);
    try {
      AtomicInteger wrong = new AtomicInteger();
      Thread other = Thread.ofPlatform().start(() -> {
        for (int i = 0; i < 1000; i++) {
          try {
            Posix.close(-1);
            wrong.incrementAndGet();
          } catch (PosixException e) {
            if (e.errno() != Errno.EBADF) wrong.incrementAndGet();
          }
        }
      });
      for (int i = 0; i < 1000; i++) {
        assertThatThrownBy(() -> PosixMemory.ftruncate(pipe[0], 1))
            .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
      }
      other.join();
      assertThat(wrong).hasValue(0);
    } finally {
      Posix.close(pipe[0]);
      Posix.close(pipe[1]);
    }
  }
}
