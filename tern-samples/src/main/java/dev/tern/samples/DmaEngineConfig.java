package dev.tern.samples;

import dev.tern.device.migration.PagedMemory;

/**
 * Parameters of a {@link DmaEngine}.
 *
 * @param memoryBytes on-device memory, a positive multiple of 4096
 * @param mutationBytesPerSecond default workload rate (RATE register after reset)
 * @param seed initial workload generator state
 * @param reinitAfterBytes 0, or: once a saving session has sent this many page bytes in pre-copy and reported its
 *        initial data all read, the engine re-initialises once (all its memory becomes initial data again, the next
 *        PRECOPY_INFO reports REINIT) — a device announcing new initial data mid-pre-copy, as mlx5 does
 *        (vfio-user-interop.md §3)
 */
public record DmaEngineConfig(long memoryBytes, long mutationBytesPerSecond, long seed, long reinitAfterBytes) {

    /** 64 MiB, mutated at 1 %/s. */
    public static final DmaEngineConfig DEFAULT = ofMemory(64L << 20);

    /** Validates the parameters. */
    public DmaEngineConfig {
        if (memoryBytes <= 0 || memoryBytes % PagedMemory.PAGE != 0 || memoryBytes > 1L << 40) {
            throw new IllegalArgumentException("device memory must be a positive multiple of 4096 up to 1 TiB");
        }
        if (mutationBytesPerSecond < 0 || reinitAfterBytes < 0) {
            throw new IllegalArgumentException("negative mutation rate or re-initialisation point");
        }
    }

    /**
     * A config that never re-initialises.
     *
     * @param memoryBytes            on-device memory, a positive multiple of 4096 up to 1 TiB
     * @param mutationBytesPerSecond default workload rate in bytes of device memory per second (RATE after reset), 0
     *                               or more; 0 leaves the memory still
     * @param seed                   initial workload generator state (SEED after reset; 0 is taken as 1)
     */
    public DmaEngineConfig(final long memoryBytes, final long mutationBytesPerSecond, final long seed) {
        this(memoryBytes, mutationBytesPerSecond, seed, 0);
    }

    /**
     * {@return a config of {@code memoryBytes} mutated at 1 %/s}
     *
     * @param memoryBytes on-device memory, a positive multiple of 4096 up to 1 TiB
     */
    public static DmaEngineConfig ofMemory(final long memoryBytes) {
        return new DmaEngineConfig(memoryBytes, memoryBytes / 100, 0x9E3779B97F4A7C15L);
    }

    /**
     * {@return this config with another rate}
     *
     * @param bytesPerSecond default workload rate in bytes of device memory per second, 0 or more
     */
    public DmaEngineConfig withRate(final long bytesPerSecond) {
        return new DmaEngineConfig(memoryBytes, bytesPerSecond, seed, reinitAfterBytes);
    }

    /**
     * {@return this config re-initialising once after {@code bytes} of pre-copy page data (0: never)}
     *
     * @param bytes page bytes a saving session sends in pre-copy before the engine re-initialises, 0 or more
     */
    public DmaEngineConfig withReinitAfter(final long bytes) {
        return new DmaEngineConfig(memoryBytes, mutationBytesPerSecond, seed, bytes);
    }
}
