package dev.tern.migration;

import java.util.ArrayList;
import java.util.List;

/**
 * Which checksums a migration compares, decided at the handshake from the mode and what each side offers
 * ({@link Hello#checksums()}, {@link HelloReply#checksums()}); both sides derive the same plan. A device is checked
 * when both of its sides offer a checksum; guest memory always is, unless the mode is {@link VerifyMode#OFF}.
 *
 * @param mode the source's choice
 * @param source per device: the source offers a checksum
 * @param destination per device: the destination offers one
 */
public record VerifyPlan(VerifyMode mode, boolean[] source, boolean[] destination) {

    /** Copies the arrays, which must be of equal length. */
    public VerifyPlan {
        source = source.clone();
        destination = destination.clone();
        if (source.length != destination.length) {
            throw new IllegalArgumentException("checksum offers for " + source.length + " source and "
                    + destination.length + " destination devices");
        }
    }

    /**
     * {@return whether device {@code i}'s checksums are compared}
     *
     * @param i the device's index
     */
    public boolean checks(final int i) {
        return mode != VerifyMode.OFF && source[i] && destination[i];
    }

    /** {@return whether guest memory's checksums are compared} */
    public boolean checksMemory() {
        return mode != VerifyMode.OFF;
    }

    /**
     * {@return why device {@code i} is not checked, or null if it is}
     *
     * @param i the device's index
     */
    public String whyNot(final int i) {
        if (mode == VerifyMode.OFF) {
            return "verification off";
        }
        if (checks(i)) {
            return null;
        }
        return "no state checksum on the " + (!source[i] && !destination[i] ? "source or the destination"
                : !source[i] ? "source" : "destination")
                + " (a kernel VFIO device, or a vfio-user server without the Tern extension)";
    }

    /**
     * {@return why {@link VerifyMode#REQUIRED} cannot be met, naming every device concerned, or null}
     *
     * @param devices the source's devices, for their names
     */
    public String refusal(final List<DeviceDescriptor> devices) {
        if (mode != VerifyMode.REQUIRED) {
            return null;
        }
        final List<String> missing = new ArrayList<>();
        for (int i = 0; i < source.length; i++) {
            if (!checks(i)) {
                missing.add("device " + devices.get(i).name() + ": " + whyNot(i));
            }
        }
        return missing.isEmpty() ? null : "verification required, but it is not possible for "
                + String.join("; ", missing);
    }

    /**
     * {@return the devices not checked (name: reason), empty if every one is}
     *
     * @param devices the source's devices, for their names
     */
    public List<String> unverifiable(final List<DeviceDescriptor> devices) {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < source.length; i++) {
            if (!checks(i)) {
                out.add(devices.get(i).name() + ": " + whyNot(i));
            }
        }
        return out;
    }

    /**
     * {@return per device and for memory: verified, mismatch (with both checksums), not verifiable (with the reason)
     * or off}
     *
     * @param ours the source's checksums
     * @param theirs the destination's
     * @param devices the source's devices, for their names
     */
    public Verification compare(final Checksums ours, final Checksums theirs, final List<DeviceDescriptor> devices) {
        if (ours.devices().length != devices.size() || theirs.devices().length != devices.size()) {
            throw new IllegalArgumentException("checksums for " + ours.devices().length + " and "
                    + theirs.devices().length + " devices, " + devices.size() + " migrated");
        }
        final List<Verification.Check> checks = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            checks.add(checks(i) ? Verification.Check.of(ours.devices()[i], theirs.devices()[i])
                    : mode == VerifyMode.OFF ? Verification.Check.OFF
                    : new Verification.Check(Verification.Status.NOT_VERIFIABLE, whyNot(i)));
        }
        return new Verification(checks, checksMemory() ? Verification.Check.of(ours.memory(), theirs.memory())
                : Verification.Check.OFF);
    }
}
