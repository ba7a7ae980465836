package dev.tern.cli;

import dev.tern.migration.VerifyMode;
import picocli.CommandLine.Option;

/** {@code --verify off|auto|required} and its old spelling {@code --no-verify}, for migrate and demo. */
final class VerifyOptions {

    @Option(names = "--verify", paramLabel = "off|auto|required", defaultValue = "auto",
            description = {"Compare state checksums of the source and the destination: auto (default) verifies guest "
                    + "memory and every device both sides can checksum, and names the others; required refuses at "
                    + "the handshake, before anything moves, unless every device can be verified; off skips it."})
    VerifyMode verify;

    @Option(names = "--no-verify", description = "Same as --verify off.")
    boolean noVerify;

    /** @return the mode asked for */
    VerifyMode mode() {
        if (noVerify && verify != VerifyMode.OFF && verify != VerifyMode.AUTO) {
            throw new CliException("--no-verify contradicts --verify " + verify.name().toLowerCase(
                    java.util.Locale.ROOT));
        }
        return noVerify ? VerifyMode.OFF : verify;
    }
}
