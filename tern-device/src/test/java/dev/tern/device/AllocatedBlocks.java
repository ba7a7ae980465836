package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

/** For tests of other modules too (test-jar): how much of a memfd is allocated, to show holes stayed holes. */
public final class AllocatedBlocks {
    private AllocatedBlocks() {
    }

    /**
     * @param fd a descriptor of this process
     * @return its st_blocks (512-byte units allocated), as stat(1) reads it through /proc
     */
    public static long of(final int fd) throws Exception {
        final Process stat = new ProcessBuilder("stat", "-L", "-c", "%b",
                "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd).redirectErrorStream(true).start();
        assertThat(stat.waitFor(10, TimeUnit.SECONDS)).as("stat finished").isTrue();
        final String out = new String(stat.getInputStream().readAllBytes()).trim();
        assertThat(stat.exitValue()).as(out).isZero();
        return Long.parseLong(out);
    }
}
