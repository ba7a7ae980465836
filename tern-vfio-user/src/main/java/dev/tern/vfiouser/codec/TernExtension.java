package dev.tern.vfiouser.codec;

import dev.tern.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * <b>Tern extension</b> to vfio-user, negotiated in VERSION as the capability object
 * {@code "tern":{"p2p":true,"precopy_info":true}}. It is not part of the vfio-user specification.
 * <p>
 * Negotiation: a Tern client proposes the object with the features it wants; a Tern server replies with the
 * subset it supports (specification "VFIO_USER_VERSION": reply capabilities are a subset of the proposed ones).
 * A peer that does not propose the object never sees it, and the server then behaves exactly like a plain
 * vfio-user server:
 * <ul>
 * <li>{@link #p2p()} off: the server hides {@code VFIO_MIGRATION_P2P} (bit 1) from GET MIGRATION and rejects the
 * device states RUNNING_P2P (5) and PRE_COPY_P2P (7), which the specification marks "not used in vfio-user";</li>
 * <li>{@link #precopyInfo()} off: the server hides feature {@link Feature#TERN_PRECOPY_INFO} ({@code 0xFF01}).</li>
 * <li>{@link #precopyInfoV2()} off: a {@code 0xFF01} reply is the 16 bytes {@code initial_bytes, dirty_bytes}; on
 * (proposed as {@code "precopy_info_v2": true}, which a peer that does not know it never echoes) and asked with room
 * for it, the reply adds {@code u64 flags} with bit 0 REINIT, the kernel's PRECOPY_INFOv2 (feature 12).</li>
 * </ul>
 *
 * @param p2p           RUNNING_P2P / PRE_COPY_P2P and the P2P migration flag are available
 * @param precopyInfo   DEVICE_FEATURE {@code 0xFF01} (GET: u64 initial_bytes, u64 dirty_bytes) is available
 * @param precopyInfoV2 its GET reply may carry a third u64, flags (bit 0 REINIT: new initial data)
 */
public record TernExtension(boolean p2p, boolean precopyInfo, boolean precopyInfoV2) {
    /** Nothing negotiated: plain vfio-user behaviour. */
    public static final TernExtension NONE = new TernExtension(false, false, false);
    /** Everything Tern knows. */
    public static final TernExtension ALL = new TernExtension(true, true, true);

    /**
     * An extension without PRECOPY_INFOv2 (what a Tern peer before it proposes).
     *
     * @param p2p the P2P states and flag
     * @param precopyInfo feature {@code 0xFF01}, TERN_PRECOPY_INFO
     */
    public TernExtension(final boolean p2p, final boolean precopyInfo) {
        this(p2p, precopyInfo, false);
    }

    /** {@code VFIO_MIGRATION_P2P}. */
    private static final long MIGRATION_P2P = 2;
    /** {@code VFIO_DEVICE_STATE_RUNNING_P2P}. */
    private static final int STATE_RUNNING_P2P = 5;
    /** {@code VFIO_DEVICE_STATE_PRE_COPY_P2P}. */
    private static final int STATE_PRE_COPY_P2P = 7;

    /**
     * {@return the features both sides have}
     *
     * @param other the other side's set
     */
    public TernExtension intersect(final TernExtension other) {
        return new TernExtension(p2p && other.p2p, precopyInfo && other.precopyInfo,
                precopyInfoV2 && other.precopyInfoV2 && precopyInfo && other.precopyInfo);
    }

    /**
     * {@return the flags a peer may see: P2P removed unless negotiated}
     *
     * @param migrationFlags the device's {@code VFIO_MIGRATION_*} flags
     */
    public long visibleMigrationFlags(final long migrationFlags) {
        return p2p ? migrationFlags : migrationFlags & ~MIGRATION_P2P;
    }

    /**
     * {@return false for RUNNING_P2P / PRE_COPY_P2P unless P2P was negotiated}
     *
     * @param deviceState a {@code vfio_device_mig_state} value
     */
    public boolean allowsDeviceState(final int deviceState) {
        return p2p || (deviceState != STATE_RUNNING_P2P && deviceState != STATE_PRE_COPY_P2P);
    }

    /**
     * {@return false for {@link Feature#TERN_PRECOPY_INFO} unless negotiated}
     *
     * @param featureIndex a DEVICE_FEATURE index
     */
    public boolean allowsFeature(final int featureIndex) {
        return precopyInfo || featureIndex != Feature.TERN_PRECOPY_INFO.index();
    }

    static TernExtension fromJson(final JsonValue v) throws CodecException {
        final JsonValue.JsonObject o = Capabilities.object(v, "tern");
        return new TernExtension(Capabilities.bool(o, "p2p", "tern.p2p", false),
                Capabilities.bool(o, "precopy_info", "tern.precopy_info", false),
                Capabilities.bool(o, "precopy_info_v2", "tern.precopy_info_v2", false));
    }

    JsonValue toJson() {
        final Map<String, JsonValue> m = new LinkedHashMap<>();
        m.put("p2p", new JsonValue.JsonBool(p2p));
        m.put("precopy_info", new JsonValue.JsonBool(precopyInfo));
        if (precopyInfoV2) {
            // Only when set: a VERSION without it stays byte for byte what Tern sent before PRECOPY_INFOv2.
            m.put("precopy_info_v2", new JsonValue.JsonBool(true));
        }
        return new JsonValue.JsonObject(m);
    }
}
