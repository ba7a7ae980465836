package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The receives that allocate nothing unless descriptors come ({@link UnixSocket#receive(MemorySegment, long, long,
 * int, List)}, {@link UnixSocket#receiveExactly(MemorySegment, long, long, int, List)}): bytes land at the offset
 * asked, descriptors are appended to the caller's list (and removed and closed again when the receive fails), the
 * end of the stream is 0.
 */
class ReceiveIntoTest {

  @Test
  void bytesLandAtTheOffsetAndFdsAreAppended() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined();
        EventFd a = EventFd.create(); EventFd b = EventFd.create()) {
      pair.first().send(ByteBuffer.wrap(new byte[] {1, 2, 3}), a.fd());
      pair.first().send(ByteBuffer.wrap(new byte[] {4, 5}), b.fd());
      MemorySegment dst = arena.allocate(8);
      List<Fd> fds = new ArrayList<>();
      assertThat(pair.second().receive(dst, 1, 3, 1, fds)).isEqualTo(3);
      assertThat(pair.second().receiveExactly(dst, 4, 2, 1, fds)).isEqualTo(2);
      assertThat(dst.toArray(JAVA_BYTE)).containsExactly(0, 1, 2, 3, 4, 5, 0, 0);
      assertThat(fds).hasSize(2);
      try (EventFd first = EventFd.wrap(fds.get(0)); EventFd second = EventFd.wrap(fds.get(1))) {
        first.signal();
        second.signal(2);
        assertThat(a.consume(Duration.ZERO)).isEqualTo(1);
        assertThat(b.consume(Duration.ZERO)).isEqualTo(2);
      }
    }
  }

  @Test
  void aHeapSegmentIsFilledThroughTheBounceBufferAtItsOffset() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair()) {
      pair.first().send(ByteBuffer.wrap(new byte[] {7, 8, 9}));
      MemorySegment dst = MemorySegment.ofArray(new byte[5]);
      assertThat(pair.second().receiveExactly(dst, 2, 3, 0, new ArrayList<>())).isEqualTo(3);
      assertThat(dst.toArray(JAVA_BYTE)).containsExactly(0, 0, 7, 8, 9);
    }
  }

  @Test
  void aFailedReceiveClosesAndRemovesItsFdsButKeepsEarlierOnes() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined();
        EventFd kept = EventFd.create(); EventFd event = EventFd.create()) {
      List<Fd> fds = new ArrayList<>();
      pair.first().send(ByteBuffer.wrap(new byte[] {1}), kept.fd());
      assertThat(pair.second().receive(arena.allocate(1), 0, 1, 1, fds)).isEqualTo(1);
      long before = ProcFds.count();
      pair.first().send(ByteBuffer.wrap(new byte[] {1, 2}), event.fd());
      pair.first().shutdownOutput();
      assertThatThrownBy(() -> pair.second().receiveExactly(arena.allocate(4), 0, 4, 1, fds))
          .isInstanceOf(EOFException.class).hasMessageContaining("after 2 of 4 bytes");
      assertThat(fds).hasSize(1);
      assertThat(ProcFds.count()).as("the fd of the partial message is closed").isEqualTo(before);
      assertThat(pair.second().receiveExactly(arena.allocate(4), 0, 4, 1, fds)).as("end of stream").isZero();
      assertThat(pair.second().receive(arena.allocate(4), 0, 4, 0, fds)).isZero();
      fds.forEach(Fd::close);
    }
  }

  @Test
  void aRangeOutsideTheSegmentIsRefused() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined()) {
      MemorySegment dst = arena.allocate(4);
      assertThatThrownBy(() -> pair.second().receive(dst, 2, 3, 0, new ArrayList<>()))
          .isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> pair.second().receive(dst, 4, 0, 0, new ArrayList<>()))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
