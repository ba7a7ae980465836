package dev.tern.migration.snapshot;

import java.io.IOException;

/** A snapshot file that cannot be used: malformed, damaged (digest), or made by another kind of device. */
public final class SnapshotException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A snapshot file that cannot be used, and why.
     *
     * @param message one line saying what is wrong with which file or record
     */
    public SnapshotException(final String message) {
        super(message);
    }
}
