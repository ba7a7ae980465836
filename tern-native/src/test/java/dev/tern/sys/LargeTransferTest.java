package dev.tern.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** 64 MiB through a socketpair, one writer thread and one reader thread, every byte checked. */
class LargeTransferTest {
  private static final int TOTAL = 64 << 20;
  private static final int CHUNK = 1 << 20;

  @Test
  void sixtyFourMibFromNativeChunksIntoOneMappedRegion() throws Exception {
    try (UnixSocket.Pair pair = UnixSocket.pair();
        SharedMemory sink = SharedMemory.create("tern-sink", TOTAL)) {
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try (Arena arena = Arena.ofConfined()) {
          MemorySegment chunk = arena.allocate(CHUNK, 8);
          for (long offset = 0; offset < TOTAL; offset += CHUNK) {
            for (long i = 0; i < CHUNK; i += 8) chunk.set(JAVA_LONG, i, pattern(offset + i));
            pair.first().send(chunk);
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, r -> Thread.ofPlatform().start(r));
      CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
        try {
          long reads = 0;
          long done = 0;
          while (done < TOTAL) {
            long n = pair.second().receive(sink.segment().asSlice(done), 0).bytes();
            assertThat(n).isPositive();
            done += n;
            reads++;
          }
          return reads;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, r -> Thread.ofPlatform().start(r));
      writer.get(120, TimeUnit.SECONDS);
      assertThat(reader.get(120, TimeUnit.SECONDS)).isPositive();
      MemorySegment received = sink.segment();
      for (long i = 0; i < TOTAL; i += 8) {
        if (received.get(JAVA_LONG, i) != pattern(i)) {
          throw new AssertionError("byte " + i + " differs");
        }
      }
    }
  }

  @Test
  void sixtyFourMibFromAHeapArrayIntoAHeapArray() throws Exception {
    byte[] sent = new byte[TOTAL];
    new Random(42).nextBytes(sent);
    byte[] received = new byte[TOTAL];
    try (UnixSocket.Pair pair = UnixSocket.pair()) {
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          pair.first().send(MemorySegment.ofArray(sent));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, r -> Thread.ofPlatform().start(r));
      CompletableFuture<UnixSocket.Received> reader = CompletableFuture.supplyAsync(() -> {
        try {
          return pair.second().receiveExactly(MemorySegment.ofArray(received), 0);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, r -> Thread.ofPlatform().start(r));
      writer.get(120, TimeUnit.SECONDS);
      assertThat(reader.get(120, TimeUnit.SECONDS).bytes()).isEqualTo(TOTAL);
    }
    assertThat(Arrays.mismatch(sent, received)).as("first differing byte").isEqualTo(-1);
  }

  private static long pattern(long offset) {
    return offset * 0x9E3779B97F4A7C15L ^ (offset >>> 7);
  }
}
