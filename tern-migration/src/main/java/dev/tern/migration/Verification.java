package dev.tern.migration;

import java.util.List;

/**
 * What the checksum comparison found after a migration, per device and for guest memory. The overall verdict
 * ({@link #verified()}) is never false for a check that was skipped.
 *
 * @param devices per device, by index
 * @param memory guest memory
 */
public record Verification(List<Check> devices, Check memory) {

    /** The outcome of one comparison. */
    public enum Status {
        /** Both sides' checksums equal. */
        VERIFIED("verified"),
        /** A side offers no checksum for it (see {@link Check#detail()}). */
        NOT_VERIFIABLE("not verifiable"),
        /** The checksums differ. */
        MISMATCH("mismatch"),
        /** Verification was off. */
        OFF("off");

        private final String text;

        Status(final String text) {
            this.text = text;
        }

        /** {@return the report's word for it} */
        public String text() {
            return text;
        }
    }

    /**
     * The result of one comparison (a device's state checksum, or the guest memory digest).
     *
     * @param status what was found
     * @param detail the reason it is not verifiable, or both checksums for a mismatch; empty otherwise
     */
    public record Check(Status status, String detail) {
        /** Verification off. */
        public static final Check OFF = new Check(Status.OFF, "");

        /** @return verified if equal, else a mismatch naming both */
        static Check of(final long source, final long destination) {
            return source == destination ? new Check(Status.VERIFIED, "")
                    : new Check(Status.MISMATCH, "checksum " + Long.toHexString(source) + " on the source, "
                            + Long.toHexString(destination) + " on the destination");
        }

        /** {@return "verified", "mismatch (…)", "not verifiable (…)" or "off"} */
        public String describe() {
            return detail.isEmpty() ? status.text : status.text + " (" + detail + ")";
        }
    }

    /** Copies the list. */
    public Verification {
        devices = List.copyOf(devices);
    }

    /**
     * {@return a verification of {@code devices} devices with everything off}
     *
     * @param devices how many devices
     */
    public static Verification off(final int devices) {
        return new Verification(java.util.Collections.nCopies(devices, Check.OFF), Check.OFF);
    }

    /**
     * {@return TRUE if memory and every device verified; FALSE if any checksum differed; null if nothing differed but
     * something was not checked (verification off, or a device not verifiable)}
     */
    public Boolean verified() {
        boolean all = memory.status == Status.VERIFIED;
        if (memory.status == Status.MISMATCH) {
            return Boolean.FALSE;
        }
        for (final Check c : devices) {
            if (c.status == Status.MISMATCH) {
                return Boolean.FALSE;
            }
            all &= c.status == Status.VERIFIED;
        }
        return all ? Boolean.TRUE : null;
    }
}
