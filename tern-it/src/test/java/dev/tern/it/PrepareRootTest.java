package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
        assertThatThrownBy(() -> GuestRoot.prepare(List.of(dir.resolve("cache").toString()),
                Map.of("TERN_IT_SOURCES", sources.toString()))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the Debian mirror http://127.0.0.1:9/debian is unreachable");
        assertThat(dir.resolve("cache/root")).doesNotExist();
    }
}
