package dev.tern.device;

import dev.tern.sys.Errno;
import java.util.Arrays;

/**
 * One IRQ index of a device: its vectors, the triggers a VMM installed and per-vector mask state.
 *
 * <p>Device code calls {@link #trigger}. While the device is stopped it must raise no interrupts (uAPI STOP), so a
 * trigger then is latched and delivered when the device runs again; a masked vector latches too and is delivered on
 * unmask, as {@code VFIO_IRQ_SET_ACTION_UNMASK} does for a pending INTx.
 */
public final class Irq {

    private static final System.Logger LOG = System.getLogger(Irq.class.getName());

    private final IrqInfo info;
    private final DeviceGate gate;
    private final IrqTrigger[] triggers;
    private final boolean[] masked;
    private final boolean[] pending;
    private final long[] delivered;

    /**
     * An IRQ index with no triggers installed; interrupts raised while the gate forbids them stay pending.
     *
     * @param info type, count and flags
     * @param gate the device's gate
     */
    public Irq(final IrqInfo info, final DeviceGate gate) {
        this.info = info;
        this.gate = gate;
        this.triggers = new IrqTrigger[info.count()];
        this.masked = new boolean[info.count()];
        this.pending = new boolean[info.count()];
        this.delivered = new long[info.count()];
        gate.onResume(this::deliverPending);
    }

    /** {@return type, count and flags} */
    public IrqInfo info() {
        return info;
    }

    /**
     * Installs (or with {@code null} removes) the trigger of one vector ({@code VFIO_IRQ_SET_ACTION_TRIGGER}).
     *
     * @param vector the vector within the index, from 0
     * @param trigger how to signal the VMM (its eventfd), or {@code null} to remove it
     * @throws DeviceException EINVAL for a vector outside the index
     */
    public synchronized void setTrigger(final int vector, final IrqTrigger trigger) throws DeviceException {
        checkVector(vector);
        triggers[vector] = trigger;
    }

    /** Removes every trigger and clears mask and pending state (disable the index, or device reset). */
    public synchronized void clear() {
        Arrays.fill(triggers, null);
        Arrays.fill(masked, false);
        Arrays.fill(pending, false);
    }

    /**
     * {@return true if the VMM installed a trigger for {@code vector}}
     *
     * @param vector the vector within the index
     */
    public synchronized boolean hasTrigger(final int vector) {
        return vector >= 0 && vector < triggers.length && triggers[vector] != null;
    }

    /**
     * Masks or unmasks one vector; unmasking delivers a latched interrupt.
     *
     * @param vector the vector within the index
     * @param mask true to mask, false to unmask
     * @throws DeviceException EINVAL for a vector outside the index
     */
    public synchronized void setMasked(final int vector, final boolean mask) throws DeviceException {
        checkVector(vector);
        masked[vector] = mask;
        if (!mask) {
            deliver(vector);
        }
    }

    /**
     * Raises an interrupt on {@code vector}: delivered now, or latched while stopped or masked.
     *
     * @param vector the vector within the index
     * @throws DeviceException EINVAL for a vector outside the index
     */
    public synchronized void trigger(final int vector) throws DeviceException {
        checkVector(vector);
        pending[vector] = true;
        deliver(vector);
    }

    /**
     * {@return how many interrupts were delivered on {@code vector}}
     *
     * @param vector the vector within the index
     */
    public synchronized long delivered(final int vector) {
        return delivered[vector];
    }

    /**
     * {@return true if an interrupt on {@code vector} waits for unmask or for the device to run}
     *
     * @param vector the vector within the index
     */
    public synchronized boolean pending(final int vector) {
        return pending[vector];
    }

    private synchronized void deliverPending() {
        for (int v = 0; v < pending.length; v++) {
            deliver(v);
        }
    }

    private void deliver(final int vector) {
        final IrqTrigger t = triggers[vector];
        if (!pending[vector] || masked[vector] || !gate.running() || t == null) {
            return;
        }
        pending[vector] = false;
        delivered[vector]++;
        if ((info.flags() & IrqInfo.FLAG_AUTOMASKED) != 0) {
            masked[vector] = true;
        }
        try {
            t.signal();
        } catch (final DeviceException e) {
            LOG.log(System.Logger.Level.WARNING, "{0} vector {1}: {2}", info.type(), vector, e.getMessage());
        }
    }

    private void checkVector(final int vector) throws DeviceException {
        if (vector < 0 || vector >= triggers.length) {
            throw new DeviceException(Errno.EINVAL, info.type() + " has " + triggers.length + " vectors, not "
                    + vector);
        }
    }
}
