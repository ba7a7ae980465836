package dev.tern.vfiouser.codec;

import dev.tern.sys.Errno;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * VERSION negotiation (specification "VFIO_USER_VERSION"):
 * <ul>
 * <li>"The major version in the reply must be the same as proposed": Tern speaks major {@value Version#MAJOR}
 * only and refuses others (EINVAL, like libvfio-user).</li>
 * <li>"The minor version in the reply must be equal to or less than the minor version proposed": the reply's minor
 * is {@code min(proposed, }{@value Version#MINOR}{@code )}, as libvfio-user's {@code send_version}.</li>
 * <li>"The capability list must be a subset of those proposed": a Tern server only names capabilities the client
 * named. Per-sender limits ({@code max_msg_fds}, {@code max_data_xfer_size}) state the server's own value; set-like
 * ones are intersected ({@code pgsizes}, {@code write_multiple}, {@code twin_socket}, the Tern extension) and
 * {@code max_dma_maps} is never larger than proposed. (libvfio-user itself also sends an unproposed
 * {@code migration} object; a Tern client tolerates and ignores such extra names.)</li>
 * </ul>
 * libvfio-user's extra checks are kept: {@code max_msg_fds} must be in [0, 1024], and a client
 * {@code migration.pgsize} different from ours is EINVAL ({@code migration_set_pgsize}).
 */
public final class Negotiation {
    private Negotiation() {
    }

    /**
     * Server side: answer a client's VERSION proposal.
     *
     * @param proposal the client's VERSION request
     * @param offer    what this server supports
     * @return the reply to send (with {@link Version#fdCount()} twin-socket fds) and the session, or a refusal
     */
    public static NegotiationOutcome serverReply(final Version proposal, final ServerOffer offer) {
        if (proposal.major() != Version.MAJOR) {
            return reject("unsupported major version " + proposal.major());
        }
        final int minor = Math.min(proposal.minor(), Version.MINOR);
        if (proposal.capabilities().isEmpty()) {
            final Version reply = new Version(Version.MAJOR, minor, Optional.empty());
            return new NegotiationOutcome.Negotiated(reply, Session.of(minor, Capabilities.none(),
                    Capabilities.none()));
        }
        final Capabilities c = proposal.capabilities().get();
        if (c.maxMsgFds().isPresent() && c.maxMsgFds().getAsInt() > CodecLimits.MAX_FDS_LIMIT) {
            return reject("max_msg_fds " + c.maxMsgFds().getAsInt() + " outside [0, 1024]");
        }
        Capabilities r = Capabilities.none();
        if (c.maxMsgFds().isPresent()) {
            r = r.withMaxMsgFds(offer.maxMsgFds());
        }
        if (c.maxDataXferSize().isPresent()) {
            r = r.withMaxDataXferSize(offer.maxDataXferSize());
        }
        if (c.pgsizes().isPresent()) {
            final long common = c.pgsizes().getAsLong() & offer.pgsizes();
            if (common == 0) {
                return reject("no common page size in pgsizes 0x" + Long.toHexString(c.pgsizes().getAsLong()));
            }
            r = r.withPgsizes(common);
        }
        if (c.maxDmaMaps().isPresent()) {
            r = r.withMaxDmaMaps(Math.min(c.maxDmaMaps().getAsInt(), offer.maxDmaMaps()));
        }
        if (c.twinSocket().isPresent()) {
            r = r.withTwinSocket(c.twinSocketSupported() && offer.twinSocket() ? TwinSocket.enabled(0)
                    : new TwinSocket(false, OptionalInt.empty()));
        }
        if (c.writeMultiple().isPresent()) {
            r = r.withWriteMultiple(c.writeMultiple().get() && offer.writeMultiple());
        }
        if (c.migration().isPresent() && offer.migration().isPresent()) {
            final OptionalLong theirs = c.migration().get().pgsize();
            final OptionalLong ours = offer.migration().get().pgsize();
            if (theirs.isPresent() && ours.isPresent() && theirs.getAsLong() != ours.getAsLong()) {
                return reject("migration.pgsize " + theirs.getAsLong() + " != " + ours.getAsLong());
            }
            r = r.withMigration(offer.migration().get());
        }
        if (c.tern().isPresent()) {
            r = r.withTern(c.tern().get().intersect(offer.tern()));
        }
        final Version reply = Version.of(Version.MAJOR, minor, r);
        return new NegotiationOutcome.Negotiated(reply, Session.of(minor, c, r));
    }

    /**
     * Client side: check the server's reply against what we proposed.
     *
     * @param proposal the VERSION we sent
     * @param reply    the server's VERSION reply
     * @param replyFds fds that came with the reply
     * @return the session, or a refusal (the client then closes the connection)
     */
    public static NegotiationOutcome clientAccept(final Version proposal, final Version reply, final int replyFds) {
        if (reply.major() != proposal.major()) {
            return reject("server answered major " + reply.major() + " to " + proposal.major());
        }
        if (reply.minor() > proposal.minor()) {
            return reject("server answered minor " + reply.minor() + " above " + proposal.minor());
        }
        final Capabilities ours = proposal.effectiveCapabilities();
        final Capabilities theirs = reply.effectiveCapabilities();
        if (theirs.twinSocketSupported()) {
            final OptionalInt idx = theirs.twinSocket().get().fdIndex();
            if (!ours.twinSocketSupported()) {
                return reject("server enabled twin_socket, which we did not propose");
            }
            if (idx.isEmpty() || idx.getAsInt() >= replyFds) {
                return reject("twin_socket.fd_index " + idx + " does not name one of " + replyFds + " fds");
            }
        }
        if (theirs.pgsizes().isPresent() && (theirs.pgsizes().getAsLong() & ours.effectivePgsizes()) == 0) {
            return reject("no common page size");
        }
        return new NegotiationOutcome.Negotiated(reply, Session.of(reply.minor(), ours, theirs));
    }

    private static NegotiationOutcome reject(final String reason) {
        return new NegotiationOutcome.Rejected(Errno.EINVAL, "VERSION: " + reason);
    }
}
