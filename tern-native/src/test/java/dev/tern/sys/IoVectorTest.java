package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link IoVector} sent over a real socketpair: the bytes of its pieces arrive in order, whatever sendmsg takes. */
@Timeout(60)
class IoVectorTest {

  @Test
  void piecesOfSeveralSegmentsZerosAndAReplacedSlotArriveInOrder() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined()) {
      MemorySegment a = random(arena, 10_000, 1);
      MemorySegment b = random(arena, 5_000, 2);
      MemorySegment slot = arena.allocate(16).fill((byte) 0x77);
      IoVector v = new IoVector(1);
      assertThat(v.reserve()).isZero(); // a slot, set below
      v.add(a, 100, 400); // not merged into the slot
      v.add(a, 500, 600); // continues the piece before: merged
      v.add(b, 0, 0); // nothing
      v.addZeros(3);
      v.add(b, 4_000, 1_000);
      v.set(0, slot, 0, 16);
      assertThat(v.count()).isEqualTo(4);
      assertThat(v.length(1)).isEqualTo(1_000);
      assertThat(v.byteSize()).isEqualTo(16 + 1_000 + 3 + 1_000);
      pair.first().send(v);
      assertThat(v.byteSize()).isZero();
      MemorySegment got = arena.allocate(2_019);
      pair.second().receiveExactly(got, 0);
      assertThat(got.asSlice(0, 16).mismatch(slot)).isEqualTo(-1);
      assertThat(got.asSlice(16, 1_000).mismatch(a.asSlice(100, 1_000))).isEqualTo(-1);
      assertThat(got.asSlice(1_016, 3).toArray(JAVA_BYTE)).containsOnly(0);
      assertThat(got.asSlice(1_019, 1_000).mismatch(b.asSlice(4_000, 1_000))).isEqualTo(-1);
    }
  }

  @Test
  void moreThanIovMaxPiecesAndPartialWritesToASlowReaderKeepTheOrder() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofShared()) {
      pair.first().setBufferSizes(16 << 10); // every sendmsg takes a part of what it is given
      MemorySegment src = random(arena, 6 << 20, 3);
      IoVector v = new IoVector(4);
      long expected = 0;
      // 3,000 pieces, every other one skipping a byte so none merge, with zero runs of up to 9 MiB among them
      for (int i = 0; i < 3_000; i++) {
        v.add(src, i * 2_000L, 1_999);
        expected += 1_999;
        if (i % 1_000 == 999) {
          v.addZeros(9 << 20);
          expected += 9 << 20;
        }
      }
      assertThat(v.count()).isGreaterThan(Layouts.IOV_MAX);
      long total = expected;
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          pair.first().send(v);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, r -> Thread.ofPlatform().start(r));
      MemorySegment got = arena.allocate(total);
      pair.second().receiveExactly(got, 0);
      writer.get(60, TimeUnit.SECONDS);
      long at = 0;
      for (int i = 0; i < 3_000; i++) {
        assertThat(got.asSlice(at, 1_999).mismatch(src.asSlice(i * 2_000L, 1_999))).as("piece %d", i).isEqualTo(-1);
        at += 1_999;
        if (i % 1_000 == 999) {
          assertThat(got.asSlice(at, 9 << 20).mismatch(MemorySegment.ofArray(new byte[9 << 20])))
              .as("zeros after piece %d", i).isEqualTo(-1);
          at += 9 << 20;
        }
      }
      assertThat(at).isEqualTo(total);
    }
  }

  @Test
  void aClearedVectorIsReusedWithoutGrowingAgain() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair(); Arena arena = Arena.ofConfined()) {
      MemorySegment src = random(arena, 4096, 4);
      IoVector v = new IoVector(2);
      MemorySegment got = arena.allocate(3 * 100);
      for (int round = 0; round < 3; round++) {
        v.clear();
        for (int i = 0; i < 3; i++) {
          v.add(src, round * 1000 + i * 200, 100);
        }
        pair.first().send(v);
        pair.second().receiveExactly(got, 0);
        for (int i = 0; i < 3; i++) {
          assertThat(got.asSlice(i * 100, 100).mismatch(src.asSlice(round * 1000 + i * 200, 100))).isEqualTo(-1);
        }
      }
    }
  }

  @Test
  void heapMemoryAndRangesOutsideTheBaseAreRefused() {
    IoVector v = new IoVector(1);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment n = arena.allocate(8);
      assertThatThrownBy(() -> v.add(MemorySegment.ofArray(new byte[8]), 0, 8))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("native");
      assertThatThrownBy(() -> v.add(n, 4, 5)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> v.set(0, n, 0, 8)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> v.addZeros(-1)).isInstanceOf(IllegalArgumentException.class);
      assertThat(v.byteSize()).isZero();
    }
  }

  private static MemorySegment random(Arena arena, int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return arena.allocate(size).copyFrom(MemorySegment.ofArray(b));
  }
}
