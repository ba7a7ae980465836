package dev.tern.migration;

/**
 * Whether a migration compares state checksums, decided at the handshake (issue 8 item 4): each side says which of
 * its devices offer a checksum ({@link dev.tern.device.migration.TargetCapabilities#checksum()}), and a device is
 * verified only if both of its sides do. Guest memory is always verifiable.
 */
public enum VerifyMode {
    /** No checksums: {@code verified} is null. */
    OFF,
    /** Verify guest memory and every device both sides can checksum; name the others as not verifiable. */
    AUTO,
    /** Refuse at the handshake, before anything moves, unless every device can be verified. */
    REQUIRED
}
