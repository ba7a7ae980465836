package dev.tern.vfiouser.server;

import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.ServerOffer;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link VfioUserServer} behaves.
 *
 * @param offer             what VERSION negotiation offers ({@link ServerOffer#defaults()}: libvfio-user's limits
 *                          plus every Tern extension)
 * @param faultInjection    whether the Tern test hook {@code FAIL_NEXT_ARC} is available (see
 *                          {@link dev.tern.vfiouser.extension.TernDiagnostics}); off by default
 * @param dmaTimeout        how long a device thread waits for the client's reply to a DMA_READ/DMA_WRITE
 * @param maxQueuedBytes    bytes of client commands, headers included, that may wait for the dispatcher; beyond it
 *                          (or {@code maxQueuedMessages}) the server stops reading the socket until the dispatcher
 *                          catches up (back-pressure, see {@link ClientSession})
 * @param maxQueuedMessages client commands that may wait for the dispatcher
 * @param handshakeTimeout  how long a new connection may take to deliver its VERSION; then it is closed
 * @param messageTimeout    how long one message may take to arrive once its first byte came; a client that
 *                          dribbles bytes is closed. A client idle between messages is not (a VMM may be idle for
 *                          hours)
 */
public record ServerConfig(ServerOffer offer, boolean faultInjection, Duration dmaTimeout, long maxQueuedBytes,
        int maxQueuedMessages, Duration handshakeTimeout, Duration messageTimeout) {
    /** Checks for null and positive bounds. */
    public ServerConfig {
        Objects.requireNonNull(offer, "offer");
        for (final Duration d : new Duration[] {dmaTimeout, handshakeTimeout, messageTimeout}) {
            if (Objects.requireNonNull(d, "timeout").isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive: " + d);
            }
        }
        if (maxQueuedMessages <= 0 || maxQueuedBytes > Integer.MAX_VALUE
                || maxQueuedBytes < offer.maxDataXferSize() + CodecLimits.DATA_MESSAGE_OVERHEAD) {
            throw new IllegalArgumentException("queue bounds: " + maxQueuedMessages + " messages (positive), "
                    + maxQueuedBytes + " bytes (one largest message .. 2 GiB)");
        }
    }

    /**
     * {@return the defaults: {@link ServerOffer#defaults()}, no fault injection, 10 s DMA timeout, a queue of 1024
     * messages / 64 MiB, 10 s for VERSION and for each message}
     */
    public static ServerConfig defaults() {
        return new ServerConfig(ServerOffer.defaults(), false, Duration.ofSeconds(10), 64L << 20, 1024,
                Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    /**
     * {@return a copy with fault injection set}
     *
     * @param enabled whether to offer the fault-injection hook
     */
    public ServerConfig withFaultInjection(final boolean enabled) {
        return new ServerConfig(offer, enabled, dmaTimeout, maxQueuedBytes, maxQueuedMessages, handshakeTimeout,
                messageTimeout);
    }

    /**
     * {@return a copy with these queue bounds}
     *
     * @param messages commands that may wait for the dispatcher
     * @param bytes    their bytes, headers included
     */
    public ServerConfig withQueueBounds(final int messages, final long bytes) {
        return new ServerConfig(offer, faultInjection, dmaTimeout, bytes, messages, handshakeTimeout,
                messageTimeout);
    }

    /**
     * {@return a copy with these deadlines}
     *
     * @param handshake time for VERSION to arrive
     * @param message   time for one message to arrive once started
     */
    public ServerConfig withDeadlines(final Duration handshake, final Duration message) {
        return new ServerConfig(offer, faultInjection, dmaTimeout, maxQueuedBytes, maxQueuedMessages, handshake,
                message);
    }
}
