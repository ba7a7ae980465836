package dev.tern.vfiouser.server;

import dev.tern.vfiouser.codec.ServerOffer;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link VfioUserServer} behaves.
 *
 * @param offer          what VERSION negotiation offers ({@link ServerOffer#defaults()}: libvfio-user's limits plus
 *                       every Tern extension)
 * @param faultInjection whether the Tern test hook {@code FAIL_NEXT_ARC} is available (see
 *                       {@link dev.tern.vfiouser.extension.TernDiagnostics}); off by default
 * @param dmaTimeout     how long a device thread waits for the client's reply to a DMA_READ/DMA_WRITE
 * @param maxQueuedBytes payload bytes of client commands that may wait for the dispatcher; a client that pipelines
 *                       more is disconnected (the reader never blocks, see {@link ClientSession})
 */
public record ServerConfig(ServerOffer offer, boolean faultInjection, Duration dmaTimeout, long maxQueuedBytes) {
    /** Checks for null and positive bounds. */
    public ServerConfig {
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(dmaTimeout, "dmaTimeout");
        if (dmaTimeout.isNegative() || dmaTimeout.isZero() || maxQueuedBytes <= 0) {
            throw new IllegalArgumentException("dmaTimeout and maxQueuedBytes must be positive");
        }
    }

    /** @return the defaults: {@link ServerOffer#defaults()}, no fault injection, 10 s DMA timeout, 64 MiB queue */
    public static ServerConfig defaults() {
        return new ServerConfig(ServerOffer.defaults(), false, Duration.ofSeconds(10), 64L << 20);
    }

    /**
     * @param enabled whether to offer the fault-injection hook
     * @return a copy with fault injection set
     */
    public ServerConfig withFaultInjection(final boolean enabled) {
        return new ServerConfig(offer, enabled, dmaTimeout, maxQueuedBytes);
    }
}
