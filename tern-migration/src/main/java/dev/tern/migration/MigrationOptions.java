package dev.tern.migration;

import java.time.Duration;

/**
 * How a migration runs.
 *
 * @param precopy whether to use pre-copy (devices that support it, and guest memory in rounds); without it
 *        everything moves during the downtime
 * @param downtimeLimit switch over once the estimated remaining bytes fit in bandwidth × this (QEMU's
 *        {@code downtime-limit}, default 300 ms)
 * @param maxRounds switch over after this many pre-copy rounds even if not converged
 * @param chunkBytes migration data read per call (QEMU uses 1 MiB; larger buffers gave it no gain)
 * @param verify which checksums to compare (guest memory, and every device both sides can checksum); decided at
 *        the handshake, see {@link VerifyPlan}
 * @param timeout how long to wait for the peer at any step before failing (and recovering)
 * @param parallelDevices stream devices on their connections at the same time (false: one after another, for
 *        comparison)
 * @param maxDowntime the hard downtime budget ({@code --max-downtime}), {@link Duration#ZERO} for none; checked
 *        against the estimate before switching over ({@link SwitchoverPolicy})
 * @param onNoConvergence what to do at the round limit when the estimate breaks {@code maxDowntime}
 * @param heartbeat the longest this side stays quiet before it sends a HEARTBEAT ({@link Liveness}); ZERO sends
 *        none (then a step longer than the peer's timeout looks like a hung process to the peer)
 */
public record MigrationOptions(boolean precopy, Duration downtimeLimit, int maxRounds, int chunkBytes,
        VerifyMode verify, Duration timeout, boolean parallelDevices, Duration maxDowntime,
        SwitchoverPolicy.NoConvergence onNoConvergence, Duration heartbeat) {

    /** Pre-copy, 300 ms, 30 rounds, 1 MiB chunks, verification {@link VerifyMode#AUTO}, 30 s timeout. */
    public static final MigrationOptions DEFAULT =
            new MigrationOptions(true, Duration.ofMillis(300), 30, 1 << 20, VerifyMode.AUTO, Duration.ofSeconds(30), true,
                    Duration.ZERO, SwitchoverPolicy.NoConvergence.SWITCH, Duration.ofMillis(100));

    /** Validates the values. */
    public MigrationOptions {
        java.util.Objects.requireNonNull(verify, "verify");
        java.util.Objects.requireNonNull(onNoConvergence, "onNoConvergence");
        if (heartbeat.isNegative()) {
            throw new IllegalArgumentException("invalid migration options: heartbeat " + heartbeat);
        }
        if (maxDowntime.isNegative() || !maxDowntime.isZero() && maxDowntime.compareTo(downtimeLimit) < 0) {
            throw new IllegalArgumentException("invalid migration options: max downtime " + maxDowntime
                    + " below the downtime limit " + downtimeLimit);
        }
        if (downtimeLimit.isNegative() || maxRounds < 1 || chunkBytes < 4096 || chunkBytes > (16 << 20)
                || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("invalid migration options: downtime limit " + downtimeLimit
                    + ", rounds " + maxRounds + ", chunk " + chunkBytes + " (4 KiB..16 MiB), timeout " + timeout);
        }
    }

    /**
     * {@return these options with pre-copy on or off}
     *
     * @param on true to pre-copy
     */
    public MigrationOptions withPrecopy(final boolean on) {
        return new MigrationOptions(on, downtimeLimit, maxRounds, chunkBytes, verify, timeout, parallelDevices,
                maxDowntime, onNoConvergence, heartbeat);
    }

    /**
     * {@return these options with another downtime limit}
     *
     * @param limit the estimated downtime at which the source switches over
     */
    public MigrationOptions withDowntimeLimit(final Duration limit) {
        return new MigrationOptions(precopy, limit, maxRounds, chunkBytes, verify, timeout, parallelDevices,
                maxDowntime, onNoConvergence, heartbeat);
    }

    /**
     * {@return these options with another timeout}
     *
     * @param t the bound on every wait for the peer
     */
    public MigrationOptions withTimeout(final Duration t) {
        return new MigrationOptions(precopy, downtimeLimit, maxRounds, chunkBytes, verify, t, parallelDevices,
                maxDowntime, onNoConvergence, heartbeat);
    }

    /**
     * {@return these options with devices streamed in parallel or one after another}
     *
     * @param on true for parallel
     */
    public MigrationOptions withParallelDevices(final boolean on) {
        return new MigrationOptions(precopy, downtimeLimit, maxRounds, chunkBytes, verify, timeout, on,
                maxDowntime, onNoConvergence, heartbeat);
    }

    /**
     * {@return these options with another verification mode}
     *
     * @param on the mode
     */
    public MigrationOptions withVerify(final VerifyMode on) {
        return new MigrationOptions(precopy, downtimeLimit, maxRounds, chunkBytes, on, timeout, parallelDevices,
                maxDowntime, onNoConvergence, heartbeat);
    }

    /**
     * {@return these options with a hard downtime budget (ZERO: none) and what to do when it cannot be met}
     *
     * @param max the budget
     * @param then abort or switch when the last round's estimate is over it
     */
    public MigrationOptions withMaxDowntime(final Duration max, final SwitchoverPolicy.NoConvergence then) {
        return new MigrationOptions(precopy, downtimeLimit, maxRounds, chunkBytes, verify, timeout, parallelDevices,
                max, then, heartbeat);
    }

    /**
     * {@return these options with another round limit}
     *
     * @param rounds the pre-copy rounds at most
     */
    public MigrationOptions withMaxRounds(final int rounds) {
        return new MigrationOptions(precopy, downtimeLimit, rounds, chunkBytes, verify, timeout, parallelDevices,
                maxDowntime, onNoConvergence, heartbeat);
    }

    /**
     * {@return these options with another heartbeat interval (ZERO: none)}
     *
     * @param every the interval
     */
    public MigrationOptions withHeartbeat(final Duration every) {
        return new MigrationOptions(precopy, downtimeLimit, maxRounds, chunkBytes, verify, timeout, parallelDevices,
                maxDowntime, onNoConvergence, every);
    }
}
