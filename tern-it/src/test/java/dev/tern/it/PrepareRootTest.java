package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Root preparation fails loudly, naming the mirror, when the Debian mirror cannot be reached: never a silent skip. */
class PrepareRootTest {

    @TempDir
    Path dir;

    @Test
    void anUnreachableMirrorFailsWithAMessageSayingSo() throws Exception {
        final Path sources = dir.resolve("debian.sources");
        Files.writeString(sources, "Types: deb\nURIs: http://127.0.0.1:9/debian\nSuites: trixie\nComponents: main\n");
        final ProcessBuilder pb = new ProcessBuilder(GuestRoot.scripts().resolve("prepare-root.sh").toString(),
                dir.resolve("cache").toString()).redirectErrorStream(true);
        pb.environment().put("TERN_IT_SOURCES", sources.toString());
        final Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("the Debian mirror http://127.0.0.1:9/debian is unreachable");
        assertThat(dir.resolve("cache/root")).doesNotExist();
    }
}
