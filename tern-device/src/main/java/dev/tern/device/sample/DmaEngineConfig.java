package dev.tern.device.sample;

/**
 * Parameters of a {@link DmaEngine}.
 *
 * @param memoryBytes on-device memory, a positive multiple of 4096
 * @param mutationBytesPerSecond default workload rate (RATE register after reset)
 * @param seed initial workload generator state
 */
public record DmaEngineConfig(long memoryBytes, long mutationBytesPerSecond, long seed) {

    /** 64 MiB, mutated at 1 %/s. */
    public static final DmaEngineConfig DEFAULT = ofMemory(64L << 20);

    /** Validates the parameters. */
    public DmaEngineConfig {
        if (memoryBytes <= 0 || memoryBytes % PageTracker.PAGE != 0 || memoryBytes > 1L << 40) {
            throw new IllegalArgumentException("device memory must be a positive multiple of 4096 up to 1 TiB");
        }
        if (mutationBytesPerSecond < 0) {
            throw new IllegalArgumentException("negative mutation rate");
        }
    }

    /** @return a config of {@code memoryBytes} mutated at 1 %/s */
    public static DmaEngineConfig ofMemory(final long memoryBytes) {
        return new DmaEngineConfig(memoryBytes, memoryBytes / 100, 0x9E3779B97F4A7C15L);
    }

    /** @return this config with another rate */
    public DmaEngineConfig withRate(final long bytesPerSecond) {
        return new DmaEngineConfig(memoryBytes, bytesPerSecond, seed);
    }
}
