package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixServerSocketTest {
  @TempDir Path dir;

  /** listen(…, 0) and never accept, as libvfio-user does while busy: the connect wait is bounded. */
  @Test
  void connectToAFullBacklogGivesUpAfterTheTimeout() throws Exception {
    try (UnixServerSocket server = UnixServerSocket.listen(dir.resolve("full.sock"), 0);
        UnixSocket queued = UnixSocket.connect(server.path(), Duration.ofMillis(300))) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> UnixSocket.connect(server.path(), Duration.ofMillis(300)))
          .isInstanceOfSatisfying(PosixException.class,
              e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
      UnixSocket accepted = server.accept(Duration.ofSeconds(5)).orElseThrow();
      try (accepted) {
        queued.send(ByteBuffer.wrap(new byte[] {7}));
        ByteBuffer one = ByteBuffer.allocate(1);
        assertThat(accepted.receive(one, 0).bytes()).isEqualTo(1);
      }
    }
  }

  @Test
  void ownerOnlySocketCarriesDataBothWaysUntilEof() throws Exception {
    Path path = dir.resolve("tern.sock");
    try (UnixServerSocket server = UnixServerSocket.listen(path)) {
      assertThat(Files.getPosixFilePermissions(path))
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      assertThat(server.path()).isEqualTo(path);
      try (UnixSocket client = UnixSocket.connect(path);
          UnixSocket accepted = server.accept(Duration.ofSeconds(10)).orElseThrow()) {
        assertThat(ProcFds.isCloseOnExec(accepted.fd().value())).isTrue();
        client.send(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        ByteBuffer in = ByteBuffer.allocate(3);
        accepted.receiveExactly(in, 0);
        assertThat(in.array()).containsExactly(1, 2, 3);

        accepted.send(ByteBuffer.wrap(new byte[] {4, 5}));
        ByteBuffer back = ByteBuffer.allocate(2);
        client.receiveExactly(back, 0);
        assertThat(back.array()).containsExactly(4, 5);

        client.close();
        assertThat(accepted.receive(ByteBuffer.allocate(8), 0).isEof()).isTrue();
      }
    }
    assertThat(path).doesNotExist();
  }

  @Test
  void connectingWhereNoServerIsFailsWithErrno() throws Exception {
    assertThatThrownBy(() -> UnixSocket.connect(dir.resolve("missing.sock")))
        .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
        .hasMessageContaining("missing.sock")
        .hasMessageContaining("ENOENT (No such file or directory)");
    Path stale = leaveStaleSocket(dir.resolve("stale.sock"));
    assertThatThrownBy(() -> UnixSocket.connect(stale))
        .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED));
  }

  @Test
  void acceptTimesOutEmpty() throws Exception {
    try (UnixServerSocket server = UnixServerSocket.listen(dir.resolve("idle.sock"))) {
      long start = System.nanoTime();
      Optional<UnixSocket> none = server.accept(Duration.ofMillis(150));
      assertThat(none).isEmpty();
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(150).toNanos());
    }
  }

  @Test
  void staleSocketFileIsReplacedButLiveServersAndOtherFilesAreNot() throws Exception {
    Path path = leaveStaleSocket(dir.resolve("reuse.sock"));
    try (UnixServerSocket server = UnixServerSocket.listen(path)) {
      assertThatThrownBy(() -> UnixServerSocket.listen(path))
          .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE))
          .hasMessageContaining("another server is listening");
      try (UnixSocket client = UnixSocket.connect(path)) {
        assertThat(server.accept(Duration.ofSeconds(10))).isPresent().get().satisfies(UnixSocket::close);
      }
    }
    Path regular = Files.writeString(dir.resolve("plain"), "not a socket");
    assertThatThrownBy(() -> UnixServerSocket.listen(regular))
        .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE));
    assertThat(regular).hasContent("not a socket");
  }

  @Test
  void closeWakesABlockedAccept() throws Exception {
    UnixServerSocket server = UnixServerSocket.listen(dir.resolve("closing.sock"));
    CompletableFuture<UnixSocket> blocked = CompletableFuture.supplyAsync(() -> {
      try {
        return server.accept();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(100);
    assertThat(blocked).isNotDone();
    server.close();
    assertThatThrownBy(() -> blocked.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().cause().isInstanceOf(AsynchronousCloseException.class);
    assertThat(dir.resolve("closing.sock")).doesNotExist();
  }

  @Test
  void closeLeavesASocketFileThatIsNoLongerOurs() throws Exception {
    Path path = dir.resolve("moved.sock");
    UnixServerSocket server = UnixServerSocket.listen(path);
    Files.delete(path);
    Path other = leaveStaleSocket(path);
    server.close();
    assertThat(other).exists();
  }

  @Test
  void pathsTooLongForSockaddrUnAreRejected() {
    Path longPath = dir.resolve("x".repeat(120));
    assertThatThrownBy(() -> UnixServerSocket.listen(longPath)).isInstanceOf(IllegalArgumentException.class);
  }

  /** A socket file nobody listens on, like the one a crashed server leaves behind. */
  private static Path leaveStaleSocket(Path path) throws Exception {
    try (Fd fd = new Fd(PosixSockets.socket(Layouts.AF_UNIX, Layouts.SOCK_STREAM | Layouts.SOCK_CLOEXEC, 0))) {
      PosixSockets.bind(fd.value(), path);
    }
    return path;
  }
}
