package dev.tern.vfiouser.server;

import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.extension.TernDiagnostics;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which client commands the reader thread may handle itself ({@link ClientSession}, rule 2): those whose handlers
 * never wait for the client (no DMA_READ/DMA_WRITE to it) nor for long device work. Region writes (a doorbell may
 * start DMA), DMA_MAP/UNMAP, SET_IRQS, DEVICE_RESET, feature SETs (a migration arc runs device hooks) and a
 * framed MIG_DATA_WRITE go to the dispatcher (one received into the lent buffer is handled by the reader: appending
 * to the RESUMING stream copies into staging memory and runs no device hook, see {@code ClientSession}), and so does the one long GET: Tern's CHECKSUM hashes all device state
 * (tens of ms for hundreds of MiB), during which the reader would not take DMA replies in.
 */
final class InlineCommands {
    private static final Set<Command> NEVER_BLOCK = EnumSet.of(Command.REGION_READ, Command.DEVICE_GET_INFO,
            Command.DEVICE_GET_REGION_INFO, Command.DEVICE_GET_IRQ_INFO, Command.MIG_DATA_READ);
    /** {@link #NEVER_BLOCK} by command code: looked up per message without allocating. */
    private static final boolean[] BY_CODE = new boolean[Command.MIG_DATA_WRITE.code() + 1];
    /** The feature GET that does long device work. */
    private static final int LONG_GET = TernDiagnostics.CHECKSUM;
    /** Offset of the DEVICE_FEATURE flags in its payload (argsz u32, flags u32). */
    private static final int FEATURE_FLAGS = 4;

    static {
        NEVER_BLOCK.forEach(c -> BY_CODE[c.code()] = true);
    }

    private InlineCommands() {
    }

    /**
     * @param frame a client command, not yet decoded
     * @return true if its handler never blocks: one of {@link #NEVER_BLOCK}, or a DEVICE_FEATURE GET other than
     *         {@link #LONG_GET}
     */
    static boolean neverBlocks(final Frame frame) {
        final int code = frame.header().command();
        if (code == Command.DEVICE_FEATURE.code()) {
            if (frame.payload().length() < FEATURE_FLAGS + 4) {
                return false;
            }
            final int flags = featureFlags(frame);
            return (flags & (DeviceFeature.GET | DeviceFeature.SET)) == DeviceFeature.GET
                    && (flags & DeviceFeature.INDEX_MASK) != LONG_GET;
        }
        return code >= 0 && code < BY_CODE.length && BY_CODE[code];
    }

    private static int featureFlags(final Frame frame) {
        int flags = 0;
        for (int i = 3; i >= 0; i--) {
            flags = flags << 8 | frame.payload().byteAt(FEATURE_FLAGS + i) & 0xff;
        }
        return flags;
    }
}
