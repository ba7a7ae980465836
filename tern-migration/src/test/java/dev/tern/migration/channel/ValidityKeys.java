package dev.tern.migration.channel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates out of their dates, made once per JVM with the JDK's {@code keytool} ({@code -startdate}):
 * "old" (self-signed, expired two days ago), "future" (self-signed, valid from tomorrow), and "leaf" (valid, issued by
 * the CA "ca", which expired yesterday) with "ca-trust.p12" holding only that CA as a trusted certificate.
 */
final class ValidityKeys {
    private static Path dir;

    private ValidityKeys() {
    }

    static synchronized Path store(final String name) {
        if (dir == null) {
            try {
                dir = generate(Files.createTempDirectory("tern-tls-dates-"));
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir.resolve(name + ".p12");
    }

    private static Path generate(final Path d) throws IOException {
        final List<Process> first = List.of(
                keytool(d, "-genkeypair", "-alias", "old", "-dname", "CN=old", "-startdate", "-3d", "-validity", "1",
                        "-keystore", "old.p12"),
                keytool(d, "-genkeypair", "-alias", "future", "-dname", "CN=future", "-startdate", "+1d",
                        "-validity", "10", "-keystore", "future.p12"),
                keytool(d, "-genkeypair", "-alias", "ca", "-dname", "CN=ca", "-ext", "bc:c", "-startdate", "-3d",
                        "-validity", "2", "-keystore", "ca.p12"),
                keytool(d, "-genkeypair", "-alias", "leaf", "-dname", "CN=leaf", "-validity", "10", "-keystore",
                        "leaf.p12"));
        for (final Process p : first) {
            await(p);
        }
        await(keytool(d, "-certreq", "-alias", "leaf", "-keystore", "leaf.p12", "-file", "leaf.csr"));
        await(keytool(d, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile", "leaf.csr", "-outfile",
                "leaf.crt", "-startdate", "-1d", "-validity", "10"));
        await(keytool(d, "-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.crt"));
        await(keytool(d, "-importcert", "-noprompt", "-alias", "ca", "-keystore", "ca-trust.p12", "-file",
                "ca.crt"));
        await(keytool(d, "-importcert", "-noprompt", "-alias", "ca", "-keystore", "leaf.p12", "-file", "ca.crt"));
        await(keytool(d, "-importcert", "-noprompt", "-alias", "leaf", "-keystore", "leaf.p12", "-file",
                "leaf.crt"));
        return d;
    }

    private static Process keytool(final Path d, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-J-Xshare:auto",
                "-J-XX:TieredStopAtLevel=1"));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", new String(TestKeys.PASSWORD)));
        if (args[0].equals("-genkeypair")) {
            command.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-keypass",
                    new String(TestKeys.PASSWORD)));
        }
        return new ProcessBuilder(command).directory(d.toFile()).redirectErrorStream(true).start();
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
