package dev.tern.cli;

import dev.tern.migration.channel.TlsConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The TLS options shared by {@code tern migrate} and {@code tern receive}. The password comes from a file, never
 * from the command line, where other users could read it in the process list. The keystore is opened here, before
 * anything connects, so a wrong path or password is a usage error and not a failed migration.
 */
final class TlsOptions {

    @Option(names = "--tls-keystore", paramLabel = "FILE.p12",
            description = "PKCS12 keystore with this side's key and certificate; it is also the truststore: the "
                    + "peer must present a certificate it contains (TLS 1.3, both sides authenticate). "
                    + "Without it the migration runs over plain TCP.")
    Path keystore;

    @Option(names = "--tls-password-file", paramLabel = "FILE",
            description = "File holding the keystore password (one line; a trailing newline is ignored).")
    Path passwordFile;

    /**
     * @return the TLS configuration, or empty for plain TCP
     * @throws CliException if only one of the two options is given, or the keystore cannot be opened
     */
    Optional<TlsConfig> config() {
        if (keystore == null && passwordFile == null) {
            return Optional.empty();
        }
        if (keystore == null || passwordFile == null) {
            throw new CliException("--tls-keystore and --tls-password-file go together");
        }
        final char[] password = readPassword(passwordFile);
        try {
            final TlsConfig config = TlsConfig.of(keystore, password);
            config.sslContext();
            return Optional.of(config);
        } catch (final IOException e) {
            throw new CliException(e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static char[] readPassword(final Path file) {
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (final IOException e) {
            throw new CliException("cannot read password file " + file + ": " + e.getMessage());
        }
        try {
            final CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            int end = chars.limit();
            while (end > 0 && (chars.get(end - 1) == '\n' || chars.get(end - 1) == '\r')) {
                end--;
            }
            final char[] password = new char[end];
            chars.get(0, password, 0, end);
            Arrays.fill(chars.array(), '\0');
            return password;
        } catch (final CharacterCodingException e) {
            throw new CliException("password file " + file + " is not UTF-8");
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }
}
