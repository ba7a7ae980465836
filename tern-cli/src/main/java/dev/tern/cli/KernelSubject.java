package dev.tern.cli;

import dev.tern.conformance.Subject;
import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.sys.Errno;
import dev.tern.vfio.KernelMigrationTarget;
import dev.tern.vfio.KernelRegion;
import dev.tern.vfio.VfioAddress;
import dev.tern.vfio.VfioDevice;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The conformance kit's {@link Subject} for kernel VFIO devices ({@code tern check --vfio A B C}). A group is opened
 * by one process once (the kernel answers EBUSY to a second open), so every open target holds one of the given
 * devices: {@link #open} takes the first one not in use and resets it (a "fresh target in RUNNING"), closing the
 * target gives it back. Give two or three devices of one kind for the checks that hold a source and a destination.
 * A kernel device has no fault injection and no arc observation: the kit skips those checks.
 */
public final class KernelSubject implements Subject {

    /**
     * Workloads by device kind for the busy-save check: {region, offset} of a register the device keeps in its
     * migrated state, written with a counter. mtty: the 16550 scratch register (UART_SCR, offset 7 of BAR0), which
     * mtty stores in {@code uart_reg[]} and migrates (vfio-migration.md §3).
     */
    private static final Map<String, long[]> WORKLOADS = Map.of(
            "mdev:mtty-1", new long[] {0, 7},
            "mdev:mtty-2", new long[] {0, 7});
    private static final long WORKLOAD_JOIN_MILLIS = 5_000;

    private final List<VfioAddress> devices;
    private final Path devVfio;
    private final Set<String> inUse = new HashSet<>();
    private final Map<MigrationTarget, KernelMigrationTarget> open = new ConcurrentHashMap<>();

    /**
     * A subject whose targets are {@code devices}, one open target per device.
     *
     * @param devices devices of the same kind
     * @param devVfio where the VFIO nodes are ({@code /dev/vfio})
     */
    public KernelSubject(final List<VfioAddress> devices, final Path devVfio) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("at least one device");
        }
        this.devices = List.copyOf(devices);
        this.devVfio = devVfio;
    }

    @Override
    public String name() {
        return "kernel VFIO " + devices.stream().map(VfioAddress::name).toList();
    }

    @Override
    public MigrationTarget open() throws DeviceException {
        final VfioAddress a = claim();
        try {
            final KernelMigrationTarget t = KernelMigrationTarget.open(VfioDevice.open(a, devVfio));
            open.put(t, t);
            t.onClose(() -> {
                open.remove(t);
                release(a);
            });
            try {
                t.reset();
            } catch (final DeviceException e) {
                t.close();
                throw e;
            }
            return t;
        } catch (final DeviceException | RuntimeException e) {
            release(a);
            throw e;
        }
    }

    /**
     * Writes a counter to the device's workload register (see {@link #WORKLOADS}) every millisecond until closed.
     *
     * @return empty for a device kind without a known workload
     */
    @Override
    public Optional<AutoCloseable> keepBusy(final MigrationTarget target) throws DeviceException {
        final KernelMigrationTarget t = open.get(target);
        final long[] reg = t == null ? null : WORKLOADS.get(t.device().address().kind());
        if (reg == null) {
            return Optional.empty();
        }
        final KernelRegion region = t.device().region((int) reg[0]);
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread writer = Thread.ofPlatform().name("tern-kit-workload").daemon().start(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    t.device().write(region, reg[1], new byte[] {(byte) i});
                    Thread.sleep(1);
                } catch (final DeviceException | InterruptedException e) {
                    return;
                }
            }
        });
        return Optional.of(() -> {
            stop.set(true);
            writer.join(WORKLOAD_JOIN_MILLIS);
        });
    }

    /** @return one target per device */
    @Override
    public int maxOpen() {
        return devices.size();
    }

    private synchronized VfioAddress claim() throws DeviceException {
        for (final VfioAddress a : devices) {
            if (inUse.add(a.name())) {
                return a;
            }
        }
        throw new DeviceException(Errno.EBUSY, "all " + devices.size() + " device(s) are in use: checks that hold a"
                + " source and a destination at once need a second device of the same kind (--vfio A B)");
    }

    private synchronized void release(final VfioAddress a) {
        inUse.remove(a.name());
    }
}
