package dev.tern.migration;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Checksums of every device's state and the digest of guest memory ({@link MemoryDigest}), taken on each side
 * while the devices do not run (source: after the commit point, its devices still in STOP_COPY; destination: after
 * loading, before RUNNING, except the memory digest, which it keeps current as pages arrive). Equal sets mean the
 * destination holds exactly the state the source had at switchover. Carried in the destination's LOADED record.
 * Only what the {@link VerifyPlan} checks is computed; the other entries are 0 and never compared.
 *
 * <pre>  u32 device count | u64 checksum × count | u64 memory checksum</pre>
 *
 * @param devices per device, by index
 * @param memory guest memory
 */
public record Checksums(long[] devices, long memory) {

    /** Copies the array. */
    public Checksums {
        devices = devices.clone();
    }

    /**
     * Takes the checksums {@code plan} checks, in parallel (they are independent and each is a scan); 0 for the
     * others.
     *
     * @param devices the devices, stopped
     * @param memory computes the guest memory digest
     * @param plan which checksums to take
     * @return the checksums
     * @throws Exception as a device's checksum or the digest throws it
     */
    public static Checksums of(final List<MigratingDevice> devices, final Callable<Long> memory, final VerifyPlan plan)
            throws Exception {
        final List<Callable<Long>> tasks = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            final MigratingDevice d = devices.get(i);
            tasks.add(plan.checks(i) ? () -> d.target().checksum() : () -> 0L);
        }
        tasks.add(plan.checksMemory() ? memory : () -> 0L);
        final List<Long> sums = Parallel.run(tasks);
        final long[] device = new long[devices.size()];
        for (int i = 0; i < device.length; i++) {
            device[i] = sums.get(i);
        }
        return new Checksums(device, sums.get(devices.size()));
    }

    /** {@return the encoding} */
    public ByteBuffer encode() {
        final ByteBuffer out = ByteBuffer.allocate(12 + 8 * devices.length).putInt(devices.length);
        for (final long c : devices) {
            out.putLong(c);
        }
        return out.putLong(memory).flip();
    }

    /**
     * Reads the form {@link #encode} writes.
     *
     * @param in the encoded form, from its position
     * @return the checksums
     * @throws IllegalArgumentException for malformed bytes
     */
    public static Checksums decode(final ByteBuffer in) {
        try {
            final int n = in.getInt();
            if (n < 0 || n > 256 || in.remaining() != 8L * n + 8) {
                throw new IllegalArgumentException("malformed checksum record");
            }
            final long[] d = new long[n];
            for (int i = 0; i < n; i++) {
                d[i] = in.getLong();
            }
            return new Checksums(d, in.getLong());
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated checksum record");
        }
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Checksums c && Arrays.equals(devices, c.devices) && memory == c.memory;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(devices) * 31 + Long.hashCode(memory);
    }
}
