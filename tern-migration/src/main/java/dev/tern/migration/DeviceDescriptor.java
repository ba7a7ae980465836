package dev.tern.migration;

import dev.tern.vmm.RegionLayout;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the compatibility handshake compares for each device before anything stops: kind, state format version,
 * migration flags and region layout. QEMU checks none of this and finds out at load time, after the source has
 * stopped; Tern refuses up front, naming the difference, while the source keeps running untouched.
 *
 * <pre>
 *   u16 name length | name (UTF-8) | u16 kind length | kind (UTF-8) | u32 format version | u32 migration flags
 *   | u32 region count | { u32 index | u64 size | u32 flags } × count
 * </pre>
 *
 * @param name the device's name in this migration (e.g. {@code dma-engine0})
 * @param kind the device kind ({@code dma-engine}, {@code uart}, …)
 * @param formatVersion the device's state format version
 * @param migrationFlags the VFIO migration flags
 * @param regions the region layout, by index
 */
public record DeviceDescriptor(String name, String kind, int formatVersion, int migrationFlags,
        List<RegionLayout> regions) {

    private static final int MAX_REGIONS = 64;

    /** Copies the region list. */
    public DeviceDescriptor {
        regions = List.copyOf(regions);
    }

    /**
     * {@return why a device described by {@code destination} cannot load this device's state, or empty if it can.
     * The name may differ; everything the state depends on must not.}
     *
     * @param destination the destination device's descriptor
     */
    public Optional<String> incompatibility(final DeviceDescriptor destination) {
        final String who = "device " + name + " (" + kind + ")";
        if (!kind.equals(destination.kind)) {
            return Optional.of(who + ": destination device is a " + destination.kind);
        }
        if (formatVersion != destination.formatVersion) {
            return Optional.of(who + ": state format version " + formatVersion + " on the source, "
                    + destination.formatVersion + " on the destination");
        }
        if (migrationFlags != destination.migrationFlags) {
            return Optional.of(who + ": migration flags 0x" + Integer.toHexString(migrationFlags)
                    + " on the source, 0x" + Integer.toHexString(destination.migrationFlags) + " on the destination");
        }
        if (!regions.equals(destination.regions)) {
            for (int i = 0; i < Math.max(regions.size(), destination.regions.size()); i++) {
                final RegionLayout s = i < regions.size() ? regions.get(i) : null;
                final RegionLayout d = i < destination.regions.size() ? destination.regions.get(i) : null;
                if (s == null || !s.equals(d)) {
                    return Optional.of(who + ": region layout differs at entry " + i + ": source " + s
                            + ", destination " + d);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Appends the encoding to {@code out}.
     *
     * @param out big-endian, with room for the encoding
     */
    public void encode(final ByteBuffer out) {
        WireText.put(out, name);
        WireText.put(out, kind);
        out.putInt(formatVersion).putInt(migrationFlags).putInt(regions.size());
        for (final RegionLayout r : regions) {
            out.putInt(r.index()).putLong(r.size()).putInt(r.flags());
        }
    }

    /** {@return the encoded size} */
    public int encodedSize() {
        return WireText.size(name) + WireText.size(kind) + 12 + regions.size() * 16;
    }

    /**
     * Decodes one descriptor.
     *
     * @param in the encoded form, from its position
     * @return the descriptor
     * @throws IllegalArgumentException for malformed bytes (too short, oversized counts, bad text)
     */
    public static DeviceDescriptor decode(final ByteBuffer in) {
        try {
            final String name = WireText.get(in);
            final String kind = WireText.get(in);
            final int version = in.getInt();
            final int flags = in.getInt();
            final int count = in.getInt();
            if (count < 0 || count > MAX_REGIONS) {
                throw new IllegalArgumentException("descriptor of " + name + " claims " + count + " regions");
            }
            final List<RegionLayout> regions = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                regions.add(new RegionLayout(in.getInt(), in.getLong(), in.getInt()));
            }
            return new DeviceDescriptor(name, kind, version, flags, regions);
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated device descriptor");
        }
    }

}
