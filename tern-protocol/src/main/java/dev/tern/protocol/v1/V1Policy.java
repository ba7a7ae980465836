package dev.tern.protocol.v1;

import java.util.Locale;

/**
 * Which v1 transitions a driver accepts. Two policies from the September 2021 thread on
 * {@code vfio_change_migration_state_allowed()} (spec §1.5).
 */
public enum V1Policy {
    /**
     * Exactly the table of patch 2/7 (never merged): states above RESUMING (100b) and self-transitions are
     * refused, and so is RUNNING→RESUMING, which QEMU issues on a destination.
     */
    PROPOSED_2021("proposed-2021") {
        @Override
        public V1Verdict check(final V1State from, final V1State to) {
            if (from.bits() > V1State.RESUMING.bits() || to.bits() > V1State.RESUMING.bits()) {
                final V1State outside = from.bits() > V1State.RESUMING.bits() ? from : to;
                return new V1Verdict.Refused(outside + " is outside the 2021 table (it admits only 000b-100b)");
            }
            if (from == to) {
                return new V1Verdict.Refused("old equals new: the 2021 table has no self-transitions");
            }
            if ((TABLE_2021[from.bits()] & (1 << to.bits())) == 0) {
                final String hint = from == V1State.RUNNING && to == V1State.RESUMING
                        ? " (QEMU issues it on a destination; --policy permissive admits it)" : "";
                return new V1Verdict.Refused(from + " -> " + to + " is not in the 2021 table" + hint);
            }
            return ALLOWED;
        }
    },
    /**
     * Every valid state to every valid state, as the thread's maintainers argued ("states should be reachable
     * from any other state"); a write of the current state is an allowed no-op.
     */
    PERMISSIVE("permissive") {
        @Override
        public V1Verdict check(final V1State from, final V1State to) {
            if (from.isError()) {
                return new V1Verdict.Refused("the device is in the error state " + from
                        + "; only a device reset leaves it");
            }
            if (to.isError()) {
                return new V1Verdict.Refused(to + " cannot be written; a driver enters it only on an internal"
                        + " error");
            }
            final V1State invalid = !from.isValid() ? from : !to.isValid() ? to : null;
            if (invalid != null) {
                return new V1Verdict.Refused(invalid + " is not a valid state: " + invalid.meaning());
            }
            return ALLOWED;
        }
    };

    private static final V1Verdict ALLOWED = new V1Verdict.Allowed();

    /** Patch 2/7's table: for each old state (row, by bits) the set of allowed new states as a bit mask. */
    private static final int[] TABLE_2021 = {
        mask(V1State.RUNNING, V1State.RESUMING),                                // STOP
        mask(V1State.STOP, V1State.SAVING, V1State.PRE_COPY),                   // RUNNING
        mask(V1State.STOP, V1State.RUNNING),                                    // SAVING
        mask(V1State.RUNNING, V1State.SAVING),                                  // PRE_COPY
        mask(V1State.STOP, V1State.RUNNING),                                    // RESUMING
    };

    private final String cliName;

    V1Policy(final String cliName) {
        this.cliName = cliName;
    }

    /**
     * {@return whether a driver under this policy accepts a write of {@code to} while in {@code from}}
     *
     * @param from the state before the write
     * @param to the state written
     */
    public abstract V1Verdict check(V1State from, V1State to);

    /** {@return the command-line spelling} */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses {@code proposed-2021} or {@code permissive}.
     *
     * @param text the policy's name
     * @return the policy
     * @throws IllegalArgumentException with a one-line message for an unknown name
     */
    public static V1Policy parse(final String text) {
        final String t = text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (final V1Policy p : values()) {
            if (p.cliName.equals(t)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown v1 policy '" + text + "' (expected proposed-2021 or permissive)");
    }

    private static int mask(final V1State... states) {
        int m = 0;
        for (final V1State s : states) {
            m |= 1 << s.bits();
        }
        return m;
    }
}
