package dev.tern.migration.channel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key material for TLS tests, made once per JVM with the JDK's own {@code keytool}: two self-signed EC keys in
 * separate PKCS12 files, "tern" (trusted by both test peers) and "rogue" (trusted by nobody).
 */
final class TestKeys {
    /** Password of both stores and their keys. */
    static final char[] PASSWORD = "changeit".toCharArray();

    private static Path dir;

    private TestKeys() {
    }

    /** @return the store holding the key both legitimate peers use and trust */
    static synchronized Path tern() {
        return generated().resolve("tern.p12");
    }

    /** @return a store with a key no peer trusts */
    static synchronized Path rogue() {
        return generated().resolve("rogue.p12");
    }

    private static Path generated() {
        if (dir == null) {
            try {
                final Path d = Files.createTempDirectory("tern-tls-");
                final Process tern = keytool(d, "tern");
                final Process rogue = keytool(d, "rogue");
                await(tern);
                await(rogue);
                dir = d;
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    private static Process keytool(final Path dir, final String name) throws IOException {
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        return new ProcessBuilder(List.of(keytool.toString(), "-J-Xshare:auto", "-J-XX:TieredStopAtLevel=1",
                "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-validity", "2", "-storetype", "PKCS12", "-keystore", dir.resolve(name + ".p12").toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
                .redirectErrorStream(true).start();
    }

    private static void await(final Process p) throws IOException {
        try {
            final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + output);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for keytool", e);
        }
    }
}
