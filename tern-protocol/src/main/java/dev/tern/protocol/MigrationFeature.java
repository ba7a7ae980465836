package dev.tern.protocol;

import java.util.Locale;

/**
 * The migration capability bits of {@code struct vfio_device_feature_migration.flags} (uAPI):
 * {@code VFIO_MIGRATION_STOP_COPY = 1}, {@code VFIO_MIGRATION_P2P = 2}, {@code VFIO_MIGRATION_PRE_COPY = 4}.
 */
public enum MigrationFeature {
    /** Mandatory: STOP, RUNNING, STOP_COPY and RESUMING exist. */
    STOP_COPY(1, "stop-copy"),
    /** Optional: RUNNING_P2P (and PRE_COPY_P2P with PRE_COPY). */
    P2P(2, "p2p"),
    /** Optional: PRE_COPY (and PRE_COPY_P2P with P2P); VFIO_MIG_GET_PRECOPY_INFO is mandatory with it. */
    PRE_COPY(4, "pre-copy");

    private final int bit;
    private final String cliName;

    MigrationFeature(final int bit, final String cliName) {
        this.bit = bit;
        this.cliName = cliName;
    }

    /** {@return the uAPI bit} */
    public int bit() {
        return bit;
    }

    /** {@return the spelling used on Tern's command line ({@code stop-copy}, {@code p2p}, {@code pre-copy})} */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses {@code stop-copy}, {@code STOP_COPY}, {@code p2p}, {@code pre-copy}, … in any case.
     *
     * @param text the feature's name
     * @return the feature
     * @throws IllegalArgumentException with a one-line message for an unknown name
     */
    public static MigrationFeature parse(final String text) {
        final String t = text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (final MigrationFeature f : values()) {
            if (f.cliName.equals(t)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown migration feature '" + text
                + "' (expected stop-copy, p2p or pre-copy)");
    }
}
