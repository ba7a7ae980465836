package dev.tern.vfiouser.extension;

import dev.tern.vfiouser.codec.Blob;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * <b>Tern extension</b>: diagnostic DEVICE_FEATUREs that the vfio-user specification does not have, used by Tern's
 * own tools (checksum comparison after a migration, fault injection for the conformance kit). They live in the same
 * vendor range as {@code TERN_PRECOPY_INFO} (0xFF01), so they never collide with a kernel feature index.
 * <p>
 * Negotiation: a server offers them only to a client whose VERSION proposal carried the {@code "tern"} capability
 * object (any member values); to every other client they are unknown features (EINVAL, as libvfio-user answers an
 * unknown feature). {@link #FAIL_NEXT_ARC} is in addition only available when the server was started with fault
 * injection enabled ({@code tern serve --fault-injection}); it is a test hook, never on by default.
 * <table>
 * <caption>diagnostic features</caption>
 * <tr><th>index</th><th>op</th><th>data</th></tr>
 * <tr><td>{@value #CHECKSUM} CHECKSUM</td><td>GET</td><td>reply {@code u64 checksum} of the whole migratable
 * device state ({@code MigrationTarget.checksum()})</td></tr>
 * <tr><td>{@value #FAIL_NEXT_ARC} FAIL_NEXT_ARC</td><td>SET</td><td>{@code u32 from, u32 to, u32 errno, u32 0}: the
 * next time the device performs the arc from→to (uAPI state numbers) it fails with errno; the reply echoes</td></tr>
 * </table>
 */
public final class TernDiagnostics {
    /** GET the device checksum. */
    public static final int CHECKSUM = 0xFF02;
    /** SET a one-shot arc failure. */
    public static final int FAIL_NEXT_ARC = 0xFF03;
    /** Bytes of the CHECKSUM GET reply data. */
    public static final int CHECKSUM_SIZE = 8;
    /** Bytes of the FAIL_NEXT_ARC SET data. */
    public static final int FAIL_NEXT_ARC_SIZE = 16;

    private TernDiagnostics() {
    }

    /**
     * {@return the CHECKSUM reply data}
     *
     * @param checksum the checksum
     */
    public static Blob encodeChecksum(final long checksum) {
        return Blob.wrap(buffer(CHECKSUM_SIZE).putLong(checksum).array());
    }

    /**
     * {@return the checksum}
     *
     * @param data CHECKSUM reply data
     * @throws IllegalArgumentException if the data is not 8 bytes
     */
    public static long decodeChecksum(final Blob data) {
        if (data.length() != CHECKSUM_SIZE) {
            throw new IllegalArgumentException("CHECKSUM reply of " + data.length() + " bytes, expected 8");
        }
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * A decoded FAIL_NEXT_ARC request.
     *
     * @param from  uAPI number of the arc's source state
     * @param to    uAPI number of the arc's target state
     * @param errno the errno the arc fails with
     */
    public record ArcFailure(int from, int to, int errno) {
        /** {@return the 16 bytes of SET data} */
        public Blob encode() {
            return Blob.wrap(buffer(FAIL_NEXT_ARC_SIZE).putInt(from).putInt(to).putInt(errno).putInt(0).array());
        }

        /**
         * {@return the request}
         *
         * @param data SET data
         * @throws IllegalArgumentException if the data is not 16 bytes
         */
        public static ArcFailure decode(final Blob data) {
            if (data.length() != FAIL_NEXT_ARC_SIZE) {
                throw new IllegalArgumentException("FAIL_NEXT_ARC data of " + data.length() + " bytes, expected 16");
            }
            final ByteBuffer b = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return new ArcFailure(b.getInt(), b.getInt(), b.getInt());
        }
    }

    private static ByteBuffer buffer(final int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
