package dev.tern.cli;

import dev.tern.migration.channel.SessionSecret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --auth-file}: the session secret a {@code receive} and its {@code migrate} (or {@code resolve}) share (issue
 * 9 item 11). Without it a receive belongs to the first source that connects.
 */
final class AuthOptions {

    @Option(names = "--auth-file", paramLabel = "FILE",
            description = "Session secret shared by 'receive' and 'migrate': receive creates FILE (mode 0600) if it "
                    + "is absent and prints its path; migrate and resolve read it. Every connection then proves the "
                    + "secret (HMAC challenge-response) and every record carries a keyed MAC, TLS or not.")
    Path file;

    /** @return the secret of an existing file (the source's side), or empty without the option */
    Optional<SessionSecret> read() {
        if (file == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(SessionSecret.read(file));
        } catch (final IOException e) {
            throw new CliException("--auth-file: " + e.getMessage());
        }
    }

    /** @return the secret, creating the file first if absent (the receive's side), or empty without the option */
    Optional<SessionSecret> createOrRead(final PrintWriter err) {
        if (file == null) {
            return Optional.empty();
        }
        try {
            final SessionSecret.Loaded loaded = SessionSecret.createOrRead(file);
            if (loaded.created()) {
                err.println("tern: session secret written to " + file.toAbsolutePath()
                        + " (mode 0600); copy it to the source host for 'tern migrate --auth-file'");
                err.flush();
            }
            return Optional.of(loaded.secret());
        } catch (final IOException e) {
            throw new CliException("--auth-file: " + e.getMessage());
        }
    }
}
