package dev.tern.migration;

import java.io.IOException;

/** The destination refused the handshake (an incompatible device or memory size); nothing was changed. */
final class MigrationRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    MigrationRefusedException(final String reason) {
        super("destination refused: " + reason);
    }
}
