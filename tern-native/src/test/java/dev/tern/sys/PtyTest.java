package dev.tern.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A raw pty: bytes pass unchanged both ways; the non-blocking master says EAGAIN instead of waiting. */
class PtyTest {

  @Test
  void bytesCrossTheRawLineUnchangedBothWays() throws Exception {
    try (Pty pty = Pty.open()) {
      assertThat(pty.slavePath()).startsWith("/dev/pts/");
      try (FileInputStream in = new FileInputStream(pty.slavePath());
          FileOutputStream out = new FileOutputStream(pty.slavePath())) {
        byte[] sent = "a\nb\r\u0003".getBytes(StandardCharsets.US_ASCII);
        pty.master().writeFully(sent, 0, sent.length);
        byte[] got = in.readNBytes(sent.length);
        assertThat(got).as("raw: no CR/LF translation, no signals").isEqualTo(sent);
        assertThatThrownBy(() -> pty.master().read(MemorySegment.ofArray(new byte[8])))
            .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
        out.write("typed\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] buf = new byte[16];
        int n = 0;
        for (int i = 0; i < 200 && n < 6; i++) {
          try {
            n += pty.master().read(buf, n, buf.length - n);
          } catch (PosixException e) {
            assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
            Thread.sleep(5);
          }
        }
        assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).isEqualTo("typed\n");
      }
    }
  }
}
