package dev.tern.vfiouser.codec;

import java.util.Objects;

/** The result of {@link Negotiation}: agreed parameters or a refusal, as a value. */
public sealed interface NegotiationOutcome {

    /**
     * Negotiation succeeded.
     *
     * @param reply   the server's VERSION reply (built by {@link Negotiation#serverReply} or received)
     * @param session the agreed parameters
     */
    record Negotiated(Version reply, Session session) implements NegotiationOutcome {
        /** Checks for null. */
        public Negotiated {
            Objects.requireNonNull(reply, "reply");
            Objects.requireNonNull(session, "session");
        }
    }

    /**
     * Negotiation failed: a server answers with an error reply carrying {@code errno} and closes; a client closes.
     *
     * @param errno  the errno (EINVAL, as libvfio-user's negotiation uses)
     * @param reason why
     */
    record Rejected(int errno, String reason) implements NegotiationOutcome {
        /** Checks for null. */
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
