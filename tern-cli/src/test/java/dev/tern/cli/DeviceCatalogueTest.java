package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} and {@code check} take their devices from the catalogue: a factory registered through
 * {@code META-INF/services} by another jar (here the test classes, {@link CatalogueTestFactory}) is served and
 * checked by name, and an unknown name lists every name found.
 */
@Timeout(60)
class DeviceCatalogueTest {

    @TempDir
    Path dir;

    @Test
    void aFactoryFromAnotherJarIsServedByName() throws Exception {
        final Path socket = dir.resolve("cat.sock");
        final Process p = ServeCommandTest.child("serve", "--device", CatalogueTestFactory.NAME, "--socket",
                socket.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            final String first = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            assertThat(first).startsWith("tern: serving " + CatalogueTestFactory.NAME + " on " + socket);
            final Cli.Run info = Cli.run("info", "--socket", socket.toString());
            assertThat(info.code()).as(info.err()).isZero();
            assertThat(info.out()).contains("PCI 7e27:0001");
            p.getOutputStream().close();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aFactoryFromAnotherJarIsCheckedByName() {
        final Cli.Run r = Cli.run("check", "--device", CatalogueTestFactory.NAME);
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains(" passed, 0 failed");
    }

    @Test
    void anUnknownNameListsEveryNameFound() {
        final Cli.Run serve = Cli.run("serve", "--device", "toaster", "--socket", dir.resolve("x.sock").toString());
        MigrateCommandTest.assertOneLineError(serve, 2, "unknown device 'toaster' (known: ");
        assertThat(serve.err()).contains("uart", "dma-engine", CatalogueTestFactory.NAME);
        final Cli.Run check = Cli.run("check", "--device", "toaster");
        MigrateCommandTest.assertOneLineError(check, 2, "unknown device 'toaster' (expected one of ");
        assertThat(check.err()).contains("uart", "dma-engine", CatalogueTestFactory.NAME);
    }
}
