package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PollTest {

  @Test
  void timesOutWithZeroAfterTheTimeout() throws Exception {
    try (Pipe pipe = Pipe.open()) {
      long start = System.nanoTime();
      int revents = Poll.poll(pipe.readEnd(), Layouts.POLLIN, Duration.ofMillis(150));
      long elapsed = System.nanoTime() - start;
      assertThat(revents).isZero();
      assertThat(elapsed).isBetween(Duration.ofMillis(150).toNanos(), Duration.ofSeconds(10).toNanos());
    }
  }

  @Test
  void zeroTimeoutOnlyChecks() throws Exception {
    try (Pipe pipe = Pipe.open()) {
      assertThat(Poll.poll(pipe.readEnd(), Layouts.POLLIN, Duration.ZERO)).isZero();
      assertThat(Poll.poll(pipe.writeEnd(), Layouts.POLLOUT, Duration.ZERO)).isEqualTo(Layouts.POLLOUT);
    }
  }

  @Test
  void reportsEachDescriptorsEvents() throws Exception {
    try (Pipe quiet = Pipe.open(); Pipe busy = Pipe.open(); Pipe hungUp = Pipe.open()) {
      busy.writeEnd().writeFully(new byte[] {1}, 0, 1);
      hungUp.writeEnd().close();
      int[] revents = Poll.poll(
          new Fd[] {quiet.readEnd(), busy.readEnd(), hungUp.readEnd()},
          new int[] {Layouts.POLLIN, Layouts.POLLIN, Layouts.POLLIN},
          Poll.FOREVER);
      assertThat(revents[0]).isZero();
      assertThat(revents[1]).isEqualTo(Layouts.POLLIN);
      assertThat(revents[2] & Layouts.POLLHUP).isEqualTo(Layouts.POLLHUP);
    }
  }

  @Test
  void waitingForeverEndsWhenDataArrives() throws Exception {
    try (Pipe pipe = Pipe.open()) {
      Thread writer = Thread.ofPlatform().start(() -> {
        try {
          Thread.sleep(100);
          pipe.writeEnd().writeFully(new byte[] {7}, 0, 1);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(Poll.poll(pipe.readEnd(), Layouts.POLLIN, Poll.FOREVER)).isEqualTo(Layouts.POLLIN);
      writer.join();
    }
  }

  @Test
  void refusesClosedDescriptorsAndMismatchedArrays() throws Exception {
    Pipe pipe = Pipe.open();
    pipe.close();
    assertThatThrownBy(() -> Poll.poll(pipe.readEnd(), Layouts.POLLIN, Duration.ZERO))
        .isInstanceOf(IllegalStateException.class);
    try (Pipe open = Pipe.open()) {
      assertThatThrownBy(() -> Poll.poll(new Fd[] {open.readEnd()}, new int[0], Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
