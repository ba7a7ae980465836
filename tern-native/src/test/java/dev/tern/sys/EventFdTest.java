package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventFdTest {

  @Test
  void consumeReturnsTheSumOfSignalsAndResetsTheCounter() throws Exception {
    try (EventFd event = EventFd.create()) {
      assertThat(ProcFds.target(event.fd().value())).isEqualTo("anon_inode:[eventfd]");
      assertThat(ProcFds.isCloseOnExec(event.fd().value())).isTrue();
      event.signal();
      event.signal();
      event.signal(5);
      assertThat(event.await(Duration.ZERO)).isTrue();
      assertThat(event.consume()).isEqualTo(7);
      assertThat(event.await(Duration.ZERO)).isFalse();
      assertThat(event.consume(Duration.ofMillis(50))).isZero();
    }
  }

  @Test
  void blockedConsumerWakesOnSignal() throws Exception {
    try (EventFd event = EventFd.create()) {
      CompletableFuture<Long> consumed = CompletableFuture.supplyAsync(() -> {
        try {
          return event.consume(Duration.ofSeconds(30));
        } catch (PosixException e) {
          throw new AssertionError(e);
        }
      });
      Thread.sleep(50);
      assertThat(consumed).isNotDone();
      event.signal();
      assertThat(consumed.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    }
  }

  @Test
  void wrappedDuplicateSharesTheCounter() throws Exception {
    try (EventFd event = EventFd.create(); EventFd other = EventFd.wrap(event.fd().dup())) {
      other.signal(3);
      assertThat(event.consume(Duration.ofSeconds(5))).isEqualTo(3);
      assertThat(other.await(Duration.ZERO)).isFalse();
    }
  }

  @Test
  void rejectsAddendsTheKernelRefusesAndUseAfterClose() throws Exception {
    EventFd event = EventFd.create();
    assertThatThrownBy(() -> event.signal(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> event.signal(-1)).isInstanceOf(IllegalArgumentException.class);
    event.close();
    assertThatThrownBy(event::signal).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(event::consume).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void fromPeerAcceptsOnlyEventfdsAndMakesThemNonBlocking() throws Exception {
    try (Pipe pipe = Pipe.open(); EventFd real = EventFd.create(); Fd copy = real.fd().dup()) {
      assertThatThrownBy(() -> EventFd.fromPeer(pipe.writeEnd()))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL))
          .hasMessageContaining("pipe:[");
      assertThat(pipe.writeEnd().isOpen()).as("the caller still owns a refused fd").isTrue();
      EventFd peer = EventFd.fromPeer(copy);
      assertThat(peer.trySignal()).isTrue();
      real.signal(0xffff_ffff_ffff_fffdL);
      assertThat(peer.trySignal()).as("the counter is now at its maximum").isFalse();
      assertThat(real.consume()).isEqualTo(0xffff_ffff_ffff_fffeL);
      assertThat(peer.trySignal()).isTrue();
      assertThat(real.consume()).as("consume on a non-blocking fd still returns the count").isEqualTo(1);
    }
  }

  @Test
  void consumeWaitsOnADescriptorAPeerMadeNonBlocking() throws Exception {
    try (EventFd event = EventFd.create()) {
      event.fd().setNonBlocking();
      CompletableFuture<Long> got = CompletableFuture.supplyAsync(() -> {
        try {
          return event.consume();
        } catch (PosixException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(50);
      assertThat(got).isNotDone();
      event.signal(3);
      assertThat(got.get(5, TimeUnit.SECONDS)).isEqualTo(3);
    }
  }
}
