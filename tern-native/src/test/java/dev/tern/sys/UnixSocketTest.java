package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Bytes and descriptors through a socketpair(2). */
class UnixSocketTest {

  @Test
  void bytesAndThreeFdsTravelInOneMessage() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair();
        SharedMemory shm = SharedMemory.create("tern-pass", 4096);
        EventFd event = EventFd.create();
        Pipe pipe = Pipe.open();
        Arena arena = Arena.ofConfined()) {
      pair.first().send(arena.allocateFrom("fds!"), shm.fd(), event.fd(), pipe.writeEnd());

      MemorySegment dst = arena.allocate(16);
      UnixSocket.Received received = pair.second().receive(dst, 8);
      assertThat(received.bytes()).isEqualTo(5);
      assertThat(dst.getString(0)).isEqualTo("fds!");
      assertThat(received.fds()).hasSize(3);
      for (Fd fd : received.fds()) {
        assertThat(ProcFds.isCloseOnExec(fd.value())).as("MSG_CMSG_CLOEXEC").isTrue();
      }
      try (SharedMemory peerShm = SharedMemory.map(received.fds().get(0), 0, 4096, true);
          EventFd peerEvent = EventFd.wrap(received.fds().get(1));
          Fd peerPipe = received.fds().get(2)) {
        shm.segment().set(JAVA_LONG, 64, 0xfeedL);
        assertThat(peerShm.segment().get(JAVA_LONG, 64)).isEqualTo(0xfeedL);
        peerShm.segment().set(JAVA_LONG, 72, 0xbeefL);
        assertThat(shm.segment().get(JAVA_LONG, 72)).isEqualTo(0xbeefL);

        peerEvent.signal(2);
        assertThat(event.consume(Duration.ofSeconds(5))).isEqualTo(2);

        peerPipe.writeFully(new byte[] {9}, 0, 1);
        byte[] b = new byte[1];
        assertThat(pipe.readEnd().read(b, 0, 1)).isEqualTo(1);
        assertThat(b[0]).isEqualTo((byte) 9);
      }
    }
  }

  @Test
  void truncatedControlDataIsAnErrorAndLeaksNothing() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined()) {
      List<EventFd> events = new ArrayList<>();
      for (int i = 0; i < 4; i++) events.add(EventFd.create());
      pair.first().send(arena.allocateFrom("four"), events.stream().map(EventFd::fd).toArray(Fd[]::new));
      events.forEach(EventFd::close);
      long before = ProcFds.count();

      MemorySegment dst = arena.allocate(5);
      assertThatThrownBy(() -> pair.second().receive(dst, 1))
          .isInstanceOfSatisfying(ControlTruncatedException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EFAULT);
            assertThat(e.bytesReceived()).isEqualTo(5);
          })
          .hasMessageContaining("recvmsg(")
          .hasMessageContaining("MSG_CTRUNC");
      assertThat(dst.getString(0)).isEqualTo("four");
      assertThat(ProcFds.count()).isEqualTo(before);
    }
  }

  @Test
  void moreFdsThanAllowedAreRefusedEvenWhenTheControlBufferFitsThem() throws Exception {
    // CMSG_SPACE(4) rounds up to room for two ints, so the kernel delivers both without MSG_CTRUNC.
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd a = EventFd.create(); EventFd b = EventFd.create()) {
      long before = ProcFds.count();
      pair.first().send(ByteBuffer.wrap(new byte[] {1}), a.fd(), b.fd());
      assertThatThrownBy(() -> pair.second().receive(ByteBuffer.allocate(1), 1))
          .isInstanceOf(ControlTruncatedException.class)
          .hasMessageContaining("more than the 1 fd(s) allowed; the 2 that arrived were closed");
      assertThat(ProcFds.count()).isEqualTo(before);
    }
  }

  @Test
  void mixedHeapAndNativeSegmentsLargerThanTheBounceBufferKeepTheirOrder() throws Exception {
    Random random = new Random(7);
    byte[] heapA = new byte[(3 << 20) / 2];
    byte[] heapB = new byte[700_000];
    byte[] heapC = new byte[2 << 20];
    random.nextBytes(heapA);
    random.nextBytes(heapB);
    random.nextBytes(heapC);
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create();
        Arena arena = Arena.ofShared()) {
      MemorySegment nativeMid = arena.allocate(16).fill((byte) 0x5a);
      List<MemorySegment> parts = List.of(MemorySegment.ofArray(heapA), nativeMid,
          MemorySegment.ofArray(heapB), MemorySegment.ofArray(heapC));
      long total = parts.stream().mapToLong(MemorySegment::byteSize).sum();
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          pair.first().send(parts, List.of(event.fd()));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, r -> Thread.ofPlatform().start(r));
      MemorySegment dst = arena.allocate(total);
      UnixSocket.Received r = pair.second().receiveExactly(dst, 1);
      writer.get(60, TimeUnit.SECONDS);
      assertThat(r.fds()).hasSize(1);
      r.fds().forEach(Fd::close);
      long at = 0;
      for (MemorySegment part : parts) {
        assertThat(dst.asSlice(at, part.byteSize()).mismatch(part)).as("part at %d", at).isEqualTo(-1);
        at += part.byteSize();
      }
    }
  }

  @Test
  void fdsAreRefusedWhenNoneAreAllowed() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create()) {
      long before = ProcFds.count();
      pair.first().send(ByteBuffer.wrap(new byte[] {1}), event.fd());
      assertThatThrownBy(() -> pair.second().receive(ByteBuffer.allocate(1), 0))
          .isInstanceOf(ControlTruncatedException.class);
      assertThat(ProcFds.count()).isEqualTo(before);
    }
  }

  /** With the default 208 KiB buffer the gather send of 16 B + 1 MiB would block until the peer read. */
  @Test
  void aMessageFittingTheSetBufferLeavesWhileThePeerDoesNotRead() throws Exception {
    // procfs reports size 0, so the file is read as a stream (Files.readString stops early).
    String wmemMax;
    try (var in = Files.newInputStream(Path.of("/proc/sys/net/core/wmem_max"))) {
      wmemMax = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
    }
    Assumptions.assumeTrue(
        Long.parseLong(wmemMax) >= 2 << 20, "net.core.wmem_max " + wmemMax + " is below 2 MiB");
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofShared()) {
      pair.first().setBufferSizes(2 << 20);
      MemorySegment header = arena.allocate(16).fill((byte) 'h');
      MemorySegment payload = arena.allocate(1 << 20).fill((byte) 'p');
      CompletableFuture<Void> sent =
          CompletableFuture.runAsync(
              () -> {
                try {
                  pair.first().send(List.of(header, payload), List.of());
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      sent.get(10, TimeUnit.SECONDS);
      MemorySegment dst = arena.allocate(16 + (1 << 20));
      pair.second().receiveExactly(dst, 0);
      assertThat(dst.get(JAVA_BYTE, 15)).isEqualTo((byte) 'h');
      assertThat(dst.get(JAVA_BYTE, 16 + (1 << 20) - 1)).isEqualTo((byte) 'p');
    }
  }

  @Test
  void gatheredHeaderAndPayloadArriveAsOneMessageInAHeapBuffer() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined()) {
      MemorySegment header = arena.allocate(16).fill((byte) 'h');
      MemorySegment payload = MemorySegment.ofArray("payload".getBytes(StandardCharsets.UTF_8));
      ByteBuffer direct = ByteBuffer.allocateDirect(3).put(new byte[] {'x', 'y', 'z'}).flip();
      pair.first().send(List.of(header, MemorySegment.ofArray(new byte[0]), payload), List.of());
      pair.first().send(direct);
      assertThat(direct.hasRemaining()).isFalse();

      ByteBuffer dst = ByteBuffer.allocate(26);
      UnixSocket.Received r = pair.second().receiveExactly(dst, 0);
      assertThat(r.bytes()).isEqualTo(26);
      assertThat(dst.position()).isEqualTo(26);
      assertThat(new String(dst.array(), StandardCharsets.UTF_8)).isEqualTo("h".repeat(16) + "payloadxyz");
    }
  }

  @Test
  void receiveExactlyCollectsFdsFromSeveralReads() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd a = EventFd.create(); EventFd b = EventFd.create()) {
      pair.first().send(ByteBuffer.wrap(new byte[] {1, 2}), a.fd());
      pair.first().send(ByteBuffer.wrap(new byte[] {3, 4}), b.fd());
      MemorySegment dst = MemorySegment.ofArray(new byte[4]);
      UnixSocket.Received r = pair.second().receiveExactly(dst, 2);
      assertThat(dst.toArray(JAVA_BYTE)).containsExactly(1, 2, 3, 4);
      assertThat(r.fds()).hasSize(2);
      try (EventFd first = EventFd.wrap(r.fds().get(0)); EventFd second = EventFd.wrap(r.fds().get(1))) {
        first.signal();
        second.signal(2);
        assertThat(a.consume(Duration.ZERO)).isEqualTo(1);
        assertThat(b.consume(Duration.ZERO)).isEqualTo(2);
      }
    }
  }

  @Test
  void eofIsCleanBetweenMessagesAndAnErrorInsideOne() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create()) {
      long before = ProcFds.count();
      pair.first().send(ByteBuffer.wrap(new byte[] {1, 2}), event.fd());
      pair.first().shutdownOutput();
      assertThatThrownBy(() -> pair.second().receiveExactly(ByteBuffer.allocate(4), 1))
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("after 2 of 4 bytes");
      assertThat(ProcFds.count()).as("the fd that came with the partial message is closed").isEqualTo(before);
      UnixSocket.Received eof = pair.second().receiveExactly(ByteBuffer.allocate(4), 1);
      assertThat(eof.isEof()).isTrue();
      assertThat(eof.fds()).isEmpty();
      assertThat(pair.second().receive(ByteBuffer.allocate(4), 0).bytes()).isZero();
    }
  }

  @Test
  void sendingToAClosedPeerIsEpipeNotSigpipe() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair()) {
      pair.second().close();
      assertThatThrownBy(() -> pair.first().send(ByteBuffer.wrap(new byte[] {1})))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPIPE))
          .hasMessageStartingWith("sendmsg(fd=");
    }
  }

  @Test
  void closeWakesABlockedReceiver() throws Exception {
    UnixSocket.Pair pair = UnixSocket.pair();
    CompletableFuture<UnixSocket.Received> blocked = CompletableFuture.supplyAsync(() -> {
      try {
        return pair.second().receive(ByteBuffer.allocateDirect(8), 0);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(100);
    assertThat(blocked).isNotDone();
    pair.second().close();
    assertThatThrownBy(() -> blocked.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().cause().isInstanceOf(AsynchronousCloseException.class);
    assertThatThrownBy(() -> pair.second().receive(ByteBuffer.allocate(1), 0))
        .isInstanceOf(IllegalStateException.class);
    pair.close();
  }

  @Test
  void argumentsTheKernelWouldRejectFailEarly() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create()) {
      Fd[] tooMany = Collections.nCopies(Layouts.SCM_MAX_FD + 1, event.fd()).toArray(Fd[]::new);
      assertThatThrownBy(() -> pair.first().send(ByteBuffer.wrap(new byte[1]), tooMany))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SCM_MAX_FD");
      assertThatThrownBy(() -> pair.first().send(ByteBuffer.allocate(0), event.fd()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one data byte");
      assertThatThrownBy(() -> pair.second().receive(ByteBuffer.allocate(4).asReadOnlyBuffer(), 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
      assertThatThrownBy(() -> pair.second().receive(ByteBuffer.allocate(0), 0))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> pair.second().receive(ByteBuffer.allocate(1), Layouts.SCM_MAX_FD + 1))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void maximumFdsPerMessageArrive() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create()) {
      Fd[] many = Collections.nCopies(Layouts.SCM_MAX_FD, event.fd()).toArray(Fd[]::new);
      pair.first().send(ByteBuffer.wrap(new byte[] {1}), many);
      UnixSocket.Received r = pair.second().receive(ByteBuffer.allocate(1), Layouts.SCM_MAX_FD);
      assertThat(r.fds()).hasSize(Layouts.SCM_MAX_FD).doesNotHaveDuplicates();
      r.fds().forEach(Fd::close);
    }
  }
}
