package dev.tern.vfiouser.codec;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The parameters both sides agreed on in VERSION, from the client's proposal and the server's reply, with the
 * specification's defaults for anything not mentioned.
 *
 * @param minor                 the agreed minor version (the reply's)
 * @param clientMaxMsgFds       most fds the client accepts per message
 * @param serverMaxMsgFds       most fds the server accepts per message
 * @param clientMaxDataXferSize largest data count the client accepts
 * @param serverMaxDataXferSize largest data count the server accepts
 * @param pgsizes               DMA page sizes both support
 * @param maxDmaMaps            the server's mapping limit
 * @param twinSocket            whether server-to-client commands use the twin socket
 * @param writeMultiple         whether the client may send REGION_WRITE_MULTI
 * @param migrationPgsize       the libvfio-user {@code migration.pgsize} in force, if any
 * @param tern                  the Tern extension features both sides enabled
 */
public record Session(int minor, int clientMaxMsgFds, int serverMaxMsgFds, long clientMaxDataXferSize,
        long serverMaxDataXferSize, long pgsizes, int maxDmaMaps, boolean twinSocket, boolean writeMultiple,
        OptionalLong migrationPgsize, TernExtension tern) {
    /** Checks for null. */
    public Session {
        Objects.requireNonNull(migrationPgsize, "migrationPgsize");
        Objects.requireNonNull(tern, "tern");
    }

    static Session of(final int minor, final Capabilities client, final Capabilities server) {
        final OptionalLong pg = server.migration().map(MigrationCapability::pgsize).filter(OptionalLong::isPresent)
                .orElseGet(() -> client.migration().map(MigrationCapability::pgsize).orElse(OptionalLong.empty()));
        return new Session(minor, client.effectiveMaxMsgFds(), server.effectiveMaxMsgFds(),
                client.effectiveMaxDataXferSize(), server.effectiveMaxDataXferSize(),
                client.effectivePgsizes() & server.effectivePgsizes(), server.effectiveMaxDmaMaps(),
                server.twinSocket().map(t -> t.supported() && t.fdIndex().isPresent()).orElse(false),
                client.writeMultiple().orElse(false) && server.writeMultiple().orElse(false), pg,
                client.effectiveTern().intersect(server.effectiveTern()));
    }

    /** {@return what the server's {@link MessageDecoder} enforces on incoming commands} */
    public CodecLimits serverInboundLimits() {
        return CodecLimits.forDataXfer(serverMaxDataXferSize, Math.min(serverMaxMsgFds, CodecLimits.MAX_FDS_LIMIT));
    }

    /** {@return what the client's {@link MessageDecoder} enforces on incoming replies and server commands} */
    public CodecLimits clientInboundLimits() {
        return CodecLimits.forDataXfer(clientMaxDataXferSize, Math.min(clientMaxMsgFds, CodecLimits.MAX_FDS_LIMIT));
    }
}
