package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoctlTest {

  /** {@code _IO(';', 100)}: VFIO_GET_API_VERSION, which no regular file or memfd knows. */
  private static final long VFIO_GET_API_VERSION = 0x3B64;
  /** FIONREAD ({@code asm-generic/ioctls.h}): bytes readable from a pipe, written through the pointer. */
  private static final long FIONREAD = 0x541B;

  @Test
  void openOfAMissingNodeNamesThePathAndENOENT(@TempDir Path dir) {
    Path missing = dir.resolve("vfio");
    assertThatThrownBy(() -> Ioctl.open(missing, Ioctl.O_RDWR))
        .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
        .hasMessageContaining(missing.toString());
  }

  @Test
  void anIoctlTheFileDoesNotKnowFailsWithENOTTYNamingTheRequest() throws Exception {
    int fd = PosixMemory.memfdCreate("ioctl-test", Layouts.MFD_CLOEXEC);
    try {
      assertThatThrownBy(() -> Ioctl.ioctl(fd, VFIO_GET_API_VERSION, 0))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY))
          .hasMessageContaining("0x3b64");
    } finally {
      Posix.close(fd);
    }
  }

  @Test
  void aPointerIoctlWritesItsResultIntoTheStruct() throws Exception {
    int[] pipe = Posix.pipe2(Layouts.O_CLOEXEC);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocateFrom("seven b");
      Posix.write(pipe[1], data, 7);
      MemorySegment count = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
      Ioctl.ioctl(pipe[0], FIONREAD, count);
      assertThat(count.get(java.lang.foreign.ValueLayout.JAVA_INT, 0)).isEqualTo(7);
    } finally {
      Posix.close(pipe[0]);
      Posix.close(pipe[1]);
    }
  }

  @Test
  void pwriteLandsAtTheOffsetAndOpenReadsItBack(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("region");
    Files.write(file, new byte[16]);
    int fd = Ioctl.open(file, Ioctl.O_RDWR);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment src = arena.allocate(3);
      src.copyFrom(MemorySegment.ofArray(new byte[] {7, 8, 9}));
      assertThat(Ioctl.pwrite(fd, src, 3, 10)).isEqualTo(3);
      MemorySegment back = arena.allocate(16);
      assertThat(Posix.pread(fd, back, 16, 0)).isEqualTo(16);
      assertThat(back.get(JAVA_BYTE, 10)).isEqualTo((byte) 7);
      assertThat(back.get(JAVA_BYTE, 12)).isEqualTo((byte) 9);
      assertThat(Files.readAllBytes(file)[11]).isEqualTo((byte) 8);
    } finally {
      Posix.close(fd);
    }
  }
}
