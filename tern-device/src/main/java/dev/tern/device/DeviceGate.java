package dev.tern.device;

import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the device may do right now, derived from its migration state, enforced where the device reaches the outside
 * world: {@link DmaSpace} (DMA), {@link Irq} (interrupts) and {@link Region} (register side effects).
 *
 * <p>uAPI {@code vfio.h} (spec §2.3): in STOP, STOP_COPY and RESUMING the device issues no DMA and no interrupts and
 * its internal state is frozen; in RUNNING_P2P and PRE_COPY_P2P it initiates no peer-to-peer DMA; ERROR is treated
 * as stopped. Only the migration engine changes the activity; device code only reads it.
 */
public final class DeviceGate {

    /** The three levels of activity the uAPI distinguishes, least permissive first. */
    public enum Activity {
        /** No DMA, no interrupts, frozen internal state (STOP, STOP_COPY, RESUMING, ERROR). */
        STOPPED,
        /** Running, but initiating no peer-to-peer DMA (RUNNING_P2P, PRE_COPY_P2P). */
        P2P_QUIESCED,
        /** Fully operational (RUNNING, PRE_COPY). */
        RUNNING;

        /**
         * {@return the activity a device in {@code state} is allowed}
         *
         * @param state a v2 migration state
         */
        public static Activity of(final MigrationState state) {
            if (!state.isRunning()) {
                return STOPPED;
            }
            return state.isP2pQuiesced() ? P2P_QUIESCED : RUNNING;
        }

        /**
         * {@return the more permissive of the two}
         *
         * @param a one activity
         * @param b the other
         */
        public static Activity max(final Activity a, final Activity b) {
            return a.compareTo(b) >= 0 ? a : b;
        }
    }

    private final List<Runnable> resumeListeners = new CopyOnWriteArrayList<>();
    private volatile Activity activity = Activity.RUNNING;
    private volatile PciConfigSpace function;

    /** A gate that allows everything ({@link Activity#RUNNING}, no PCI function attached): a new device runs. */
    public DeviceGate() {
    }

    /**
     * Makes DMA depend on the PCI function's Bus Master Enable too (a device without one, e.g. in unit tests of the
     * gate alone, masters the bus whenever its migration state allows).
     *
     * @param config the device's config space
     */
    public void busMaster(final PciConfigSpace config) {
        this.function = config;
    }

    /** {@return the current activity} */
    public Activity activity() {
        return activity;
    }

    /** {@return true if the device may run (advance internal state, raise interrupts)} */
    public boolean running() {
        return activity != Activity.STOPPED;
    }

    /**
     * Sets the activity; listeners run when the device becomes able to raise interrupts again.
     *
     * @param next the new activity
     */
    public void set(final Activity next) {
        final Activity before = activity;
        activity = next;
        if (before == Activity.STOPPED && next != Activity.STOPPED) {
            for (final Runnable r : resumeListeners) {
                r.run();
            }
        }
    }

    /**
     * Registers work to do when the device leaves the stopped activity (deliver latched interrupts).
     *
     * @param listener runs on the thread that changes the activity
     */
    public void onResume(final Runnable listener) {
        resumeListeners.add(listener);
    }

    /**
     * Checks that the device may initiate DMA now.
     *
     * @param peerToPeer true if the target is another device's memory (a P2P-classified mapping)
     * @throws DeviceException EPERM when the device is stopped, or for P2P DMA while P2P is quiesced
     */
    public void checkDma(final boolean peerToPeer) throws DeviceException {
        final Activity a = activity;
        if (a == Activity.STOPPED) {
            throw new DeviceException(Errno.EPERM, "DMA refused: the device is stopped (uAPI: no DMA in STOP)");
        }
        if (peerToPeer && a == Activity.P2P_QUIESCED) {
            throw new DeviceException(Errno.EPERM,
                    "peer-to-peer DMA refused: P2P is quiesced (uAPI: RUNNING_P2P initiates no P2P DMA)");
        }
    }

    /**
     * Checks that the PCI function may master the bus now (before any DMA, mapped or not).
     *
     * @throws DeviceException ENODEV when the guest cleared Bus Master Enable: the DMA is master-aborted (status bit
     *         13 is set) and no byte moves. QEMU answers a vfio-user DMA message with ENODEV then too.
     */
    public void checkBusMaster() throws DeviceException {
        final PciConfigSpace f = function;
        if (f != null && !f.busMasterEnabled()) {
            f.masterAbort();
            throw new DeviceException(Errno.ENODEV,
                    "DMA refused: Bus Master Enable is clear in the PCI command register (Received Master Abort set)");
        }
    }

    /**
     * {@return true if the PCI function decodes accesses to that BAR now (its command register enables the BAR's
     * address space); true for a device without a PCI function}
     *
     * @param bar a BAR index (0-5)
     */
    public boolean decodes(final int bar) {
        final PciConfigSpace f = function;
        return f == null || f.decodes(bar);
    }

    /**
     * Checks that a register access with side effects may happen now.
     *
     * @throws DeviceException EBUSY while the internal state is frozen
     */
    public void checkStateChange() throws DeviceException {
        if (activity == Activity.STOPPED) {
            throw new DeviceException(Errno.EBUSY,
                    "device registers are frozen while stopped (uAPI: internal state frozen in STOP)");
        }
    }
}
