package dev.tern.vfio;

import dev.tern.device.DeviceException;
import dev.tern.device.conformance.Subject;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.sys.Errno;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The conformance kit's {@link Subject} for kernel VFIO devices ({@code tern check --vfio A B C}). A group is opened
 * by one process once (the kernel answers EBUSY to a second open), so every open target holds one of the given
 * devices: {@link #open} takes the first one not in use and resets it (a "fresh target in RUNNING"), closing the
 * target gives it back. Give two or three devices of one kind for the checks that hold a source and a destination.
 * A kernel device has no fault injection and no arc observation: the kit skips those checks.
 */
public final class KernelSubject implements Subject {

    private final List<VfioAddress> devices;
    private final Path devVfio;
    private final Set<String> inUse = new HashSet<>();

    /**
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
            t.onClose(() -> release(a));
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

    /** @return how many targets can be open at once (the kit's {@code Subject.maxOpen}, once it has one) */
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
