package dev.tern.vfiouser.codec;

import java.util.Objects;
import java.util.Optional;

/**
 * What a Tern server supports, the input of {@link Negotiation#serverReply}.
 *
 * @param maxMsgFds       most fds we accept per message ({@code max_msg_fds}, at most 1024)
 * @param maxDataXferSize largest data count we accept ({@code max_data_xfer_size})
 * @param pgsizes         DMA page sizes we support, or'ed
 * @param maxDmaMaps      most simultaneous DMA mappings
 * @param twinSocket      whether we can run twin-socket mode
 * @param writeMultiple   whether we implement REGION_WRITE_MULTI
 * @param migration       the libvfio-user {@code migration} object to echo (our page size), if any
 * @param tern            the Tern extension features we implement
 */
public record ServerOffer(int maxMsgFds, long maxDataXferSize, long pgsizes, int maxDmaMaps, boolean twinSocket,
        boolean writeMultiple, Optional<MigrationCapability> migration, TernExtension tern) {
    /** Checks ranges and nulls. */
    public ServerOffer {
        if (maxMsgFds < 0 || maxMsgFds > CodecLimits.MAX_FDS_LIMIT || maxDataXferSize <= 0 || maxDmaMaps < 0) {
            throw new IllegalArgumentException("bad server offer");
        }
        Objects.requireNonNull(migration, "migration");
        Objects.requireNonNull(tern, "tern");
    }

    /**
     * {@return libvfio-user-like defaults: 8 fds, 1 MiB, 4 KiB pages, 65535 maps, no twin socket, no
     * write_multiple, {@code migration.pgsize} 4096, every Tern extension}
     */
    public static ServerOffer defaults() {
        return new ServerOffer(8, Capabilities.DEFAULT_MAX_DATA_XFER_SIZE, Capabilities.DEFAULT_PGSIZES,
                Capabilities.DEFAULT_MAX_DMA_MAPS, false, false, Optional.of(MigrationCapability.ofPgsize(4096)),
                TernExtension.ALL);
    }
}
