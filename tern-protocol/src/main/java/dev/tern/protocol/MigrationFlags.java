package dev.tern.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * A device's migration capability flags, validated: STOP_COPY is mandatory (the kernel refuses to register a
 * migration driver without it) and only the three defined bits may be set ("other combinations of flags have
 * behavior to be defined in the future", uAPI). So exactly four sets exist: 1, 3, 5 and 7.
 *
 * @param bits the uAPI bit mask
 */
public record MigrationFlags(int bits) {

    private static final int DEFINED = 0b111;

    /** STOP_COPY only. */
    public static final MigrationFlags STOP_COPY = new MigrationFlags(1);
    /** STOP_COPY | P2P. */
    public static final MigrationFlags P2P = new MigrationFlags(3);
    /** STOP_COPY | PRE_COPY. */
    public static final MigrationFlags PRE_COPY = new MigrationFlags(5);
    /** STOP_COPY | P2P | PRE_COPY (every state exists). */
    public static final MigrationFlags ALL = new MigrationFlags(7);

    /** Validates the bits; see the class comment. */
    public MigrationFlags {
        if ((bits & ~DEFINED) != 0) {
            throw new IllegalArgumentException("unknown migration flag bits 0x" + Integer.toHexString(bits & ~DEFINED)
                    + " (defined: STOP_COPY=1, P2P=2, PRE_COPY=4)");
        }
        if ((bits & MigrationFeature.STOP_COPY.bit()) == 0) {
            throw new IllegalArgumentException("migration flags 0x" + Integer.toHexString(bits)
                    + " lack the mandatory STOP_COPY");
        }
    }

    /** {@return the four valid flag sets, in uAPI-number order} */
    public static List<MigrationFlags> all() {
        return List.of(STOP_COPY, P2P, PRE_COPY, ALL);
    }

    /**
     * {@return the flags made of these features}
     *
     * @param features the features; STOP_COPY must be among them
     */
    public static MigrationFlags of(final MigrationFeature... features) {
        int bits = 0;
        for (final MigrationFeature f : features) {
            bits |= f.bit();
        }
        return new MigrationFlags(bits);
    }

    /**
     * Parses a comma-separated feature list as on the command line ({@code stop-copy,p2p,pre-copy}) or a number.
     *
     * @param text the list or number
     * @return the validated flags
     * @throws IllegalArgumentException with a one-line message for an unknown feature or invalid bits
     */
    public static MigrationFlags parse(final String text) {
        final String t = text.strip();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            try {
                return new MigrationFlags(Integer.parseInt(t));
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("migration flags '" + text + "' out of range");
            }
        }
        int bits = 0;
        for (final String part : t.split(",", -1)) {
            bits |= MigrationFeature.parse(part).bit();
        }
        return new MigrationFlags(bits);
    }

    /**
     * {@return true if the device has this optional feature}
     *
     * @param feature the feature asked about
     */
    public boolean has(final MigrationFeature feature) {
        return (bits & feature.bit()) != 0;
    }

    /**
     * {@return true if the state exists for a device with these flags (kernel {@code state_flags_table})}
     *
     * @param state the state asked about
     */
    public boolean supports(final MigrationState state) {
        final int required = state.requiredFeatures();
        return (bits & required) == required;
    }

    /** {@return the states that exist for these flags, in uAPI order (never ERROR)} */
    public List<MigrationState> states() {
        final List<MigrationState> states = new ArrayList<>();
        for (final MigrationState s : MigrationState.values()) {
            if (supports(s)) {
                states.add(s);
            }
        }
        return states;
    }

    /** @return {@code stop-copy,p2p,pre-copy} style text, the inverse of {@link #parse} */
    @Override
    public String toString() {
        final List<String> names = new ArrayList<>();
        for (final MigrationFeature f : MigrationFeature.values()) {
            if (has(f)) {
                names.add(f.cliName());
            }
        }
        return String.join(",", names);
    }
}
