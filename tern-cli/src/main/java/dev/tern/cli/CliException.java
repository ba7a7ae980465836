package dev.tern.cli;

/** A failure reported to the user as one line on stderr with exit code 2. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(final String message) {
        super(message);
    }
}
