package dev.tern.vfiouser.client;

import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.TernExtension;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link VfioUserClient} proposes in VERSION and how long it waits for replies.
 *
 * @param proposal     the capabilities proposed (specification "VFIO_USER_VERSION")
 * @param replyTimeout how long a command waits for its reply before the client gives up (EIO)
 */
public record ClientOptions(Capabilities proposal, Duration replyTimeout) {
    /** Checks for null. */
    public ClientOptions {
        Objects.requireNonNull(proposal, "proposal");
        Objects.requireNonNull(replyTimeout, "replyTimeout");
    }

    /**
     * {@return 8 fds and 1 MiB per message (libvfio-user's server limits), and the Tern extension (P2P states,
     * PRECOPY_INFO and the diagnostic features), which a non-Tern server ignores; 60 s reply timeout}
     */
    public static ClientOptions defaults() {
        return new ClientOptions(Capabilities.none().withMaxMsgFds(8)
                .withMaxDataXferSize(Capabilities.DEFAULT_MAX_DATA_XFER_SIZE).withTern(TernExtension.ALL),
                Duration.ofSeconds(60));
    }

    /** {@return the defaults without the Tern extension: what a plain vfio-user client proposes} */
    public static ClientOptions plain() {
        return new ClientOptions(Capabilities.none().withMaxMsgFds(8)
                .withMaxDataXferSize(Capabilities.DEFAULT_MAX_DATA_XFER_SIZE), Duration.ofSeconds(60));
    }

    /**
     * {@return a copy proposing them}
     *
     * @param proposal other capabilities
     */
    public ClientOptions withProposal(final Capabilities proposal) {
        return new ClientOptions(proposal, replyTimeout);
    }

    /**
     * {@return a copy with that timeout}
     *
     * @param timeout how long each command, VERSION included, waits for its reply
     */
    public ClientOptions withReplyTimeout(final Duration timeout) {
        return new ClientOptions(proposal, timeout);
    }
}
