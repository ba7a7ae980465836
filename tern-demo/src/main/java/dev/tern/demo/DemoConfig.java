package dev.tern.demo;

import java.time.Duration;

/**
 * The demo's knobs.
 *
 * @param deviceMemory each dma-engine's on-device memory
 * @param guestMemory guest memory on each side
 * @param dirtyRate how much of device and guest memory the workload rewrites per second
 * @param downtimeLimit the convergence target
 * @param precopy pre-copy on or off
 * @param engines how many dma-engines migrate (plus one uart)
 * @param seed the workload's random seed
 */
public record DemoConfig(long deviceMemory, long guestMemory, DirtyRate dirtyRate, Duration downtimeLimit,
        boolean precopy, int engines, long seed) {

    /** 256 MiB dma-engine, 128 MiB guest, 1 %/s, 300 ms, pre-copy, one engine. */
    public static final DemoConfig DEFAULT = new DemoConfig(256L << 20, 128L << 20, DirtyRate.percent(1.0),
            Duration.ofMillis(300),
            true, 1, 42);

    /** Validates the values with one-line messages. */
    public DemoConfig {
        if (deviceMemory < (1 << 20) || deviceMemory % 4096 != 0) {
            throw new IllegalArgumentException("device memory must be at least 1 MiB and a multiple of 4 KiB");
        }
        if (guestMemory < (4 << 20) || guestMemory % 4096 != 0) {
            throw new IllegalArgumentException("guest memory must be at least 4 MiB and a multiple of 4 KiB");
        }
        java.util.Objects.requireNonNull(dirtyRate, "dirtyRate");
        if (engines < 1 || engines > 16) {
            throw new IllegalArgumentException("--devices must be 1..16");
        }
        if (downtimeLimit.isNegative()) {
            throw new IllegalArgumentException("downtime limit must not be negative");
        }
    }

    /** @return bytes per second the workload rewrites of a memory of {@code size} bytes */
    long rate(final long size) {
        return dirtyRate.of(size);
    }
}
