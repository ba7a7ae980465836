package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class FdTest {

  @Test
  void closeIsIdempotentAndUseAfterCloseIsAClearError() throws Exception {
    Pipe pipe = Pipe.open();
    int number = pipe.readEnd().value();
    pipe.readEnd().close();
    pipe.readEnd().close();
    assertThat(pipe.readEnd().isOpen()).isFalse();
    assertThat(ProcFds.isOpen(number)).isFalse();
    assertThatThrownBy(() -> pipe.readEnd().value())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("file descriptor " + number + " was already closed by this Fd");
    assertThatThrownBy(() -> pipe.readEnd().read(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> pipe.readEnd().acquire()).isInstanceOf(IllegalStateException.class);
    assertThat(pipe.readEnd()).hasToString("Fd[" + number + ", closed]");
    pipe.close();
  }

  @Test
  void closeWaitsForCallsInFlight() throws Exception {
    try (Pipe pipe = Pipe.open()) {
      Fd fd = pipe.readEnd();
      int number = fd.acquire();
      fd.close();
      assertThat(fd.isOpen()).isFalse();
      assertThat(ProcFds.isOpen(number)).as("still pinned by the in-flight call").isTrue();
      fd.release();
      assertThat(ProcFds.isOpen(number)).isFalse();
      assertThatThrownBy(fd::release).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void racingClosesCloseEachDescriptorOnce() throws Exception {
    long before = ProcFds.count();
    List<Pipe> pipes = new ArrayList<>();
    for (int i = 0; i < 200; i++) pipes.add(Pipe.open());
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 8; t++) {
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
          for (Pipe p : pipes) p.close();
        } catch (Throwable e) {
          failures.add(e);
        }
      }));
    }
    start.countDown();
    for (Thread t : threads) t.join();
    assertThat(failures).isEmpty();
    assertThat(ProcFds.count()).isEqualTo(before);
  }

  @Test
  void readsAndWritesNativeAndHeapMemory() throws Exception {
    try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
      byte[] hello = "hello, tern".getBytes(StandardCharsets.UTF_8);
      pipe.writeEnd().writeFully(hello, 0, hello.length);
      MemorySegment nativeBuf = arena.allocate(5);
      pipe.readEnd().readFully(nativeBuf);
      assertThat(new String(nativeBuf.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)).isEqualTo("hello");
      byte[] rest = new byte[64];
      int n = pipe.readEnd().read(rest, 10, 54);
      assertThat(new String(rest, 10, n, StandardCharsets.UTF_8)).isEqualTo(", tern");

      pipe.writeEnd().writeFully(arena.allocateFrom("native"));
      byte[] heap = new byte[7];
      pipe.readEnd().readFully(MemorySegment.ofArray(heap));
      assertThat(heap).isEqualTo("native\0".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void endOfFileIsZeroForReadAndAnErrorForReadFully() throws Exception {
    try (Pipe pipe = Pipe.open()) {
      pipe.writeEnd().writeFully(new byte[] {1, 2, 3}, 0, 3);
      pipe.writeEnd().close();
      assertThatThrownBy(() -> pipe.readEnd().readFully(MemorySegment.ofArray(new byte[4])))
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("after 3 of 4 bytes");
      assertThat(pipe.readEnd().read(new byte[1], 0, 1)).isZero();
    }
  }

  @Test
  void readRefusesReadOnlyMemory() throws Exception {
    try (Pipe pipe = Pipe.open()) {
      assertThatThrownBy(() -> pipe.readEnd().read(MemorySegment.ofArray(new byte[1]).asReadOnly()))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void dupSharesTheOpenFileButNotTheNumber() throws Exception {
    try (Pipe pipe = Pipe.open(); Fd copy = pipe.writeEnd().dup()) {
      assertThat(copy.value()).isNotEqualTo(pipe.writeEnd().value());
      assertThat(ProcFds.isCloseOnExec(copy.value())).isTrue();
      copy.writeFully(new byte[] {42}, 0, 1);
      byte[] b = new byte[1];
      assertThat(pipe.readEnd().read(b, 0, 1)).isEqualTo(1);
      assertThat(b[0]).isEqualTo((byte) 42);
    }
  }

  @Test
  void rejectsNegativeNumbers() {
    assertThatThrownBy(() -> new Fd(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
