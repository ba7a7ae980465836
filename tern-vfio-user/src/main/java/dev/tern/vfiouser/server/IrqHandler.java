package dev.tern.vfiouser.server;

import dev.tern.device.Device;
import dev.tern.device.DeviceException;
import dev.tern.device.Irq;
import dev.tern.sys.EventFd;
import dev.tern.sys.PosixException;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Command;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.SetIrqs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * DEVICE_SET_IRQS (specification "VFIO_USER_DEVICE_SET_IRQS", semantics of {@code VFIO_DEVICE_SET_IRQS}):
 * <ul>
 * <li>DATA_EVENTFD | ACTION_TRIGGER: vector {@code start + i} signals eventfd {@code i}; vectors of the range
 * beyond the fds sent are de-assigned;</li>
 * <li>DATA_NONE | ACTION_TRIGGER with count 0: de-assign every vector of the index;</li>
 * <li>DATA_NONE / DATA_BOOL with ACTION_TRIGGER: raise the vectors (loopback), ACTION_MASK / ACTION_UNMASK:
 * mask or unmask them (BOOL: only where the byte is non-zero);</li>
 * <li>DATA_EVENTFD with MASK or UNMASK (irqfd-style unmask) is not supported: EINVAL.</li>
 * </ul>
 * Every fd must be an eventfd ({@code /proc/self/fd} names it {@code anon_inode:[eventfd]}); anything else (a pipe
 * would fill up and block the signalling thread) is EINVAL and nothing changes. The eventfds are made non-blocking.
 * The server owns the eventfds it was given and closes them when replaced and when the client disconnects ("all
 * IRQ file descriptors passed from the old client are closed", "Client Disconnection").
 */
final class IrqHandler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IrqHandler.class.getName());
    private final Device device;
    private final Map<Long, EventFd> eventfds = new HashMap<>();

    IrqHandler(final Device device) {
        this.device = device;
    }

    Outcome set(final SetIrqs s, final ReceivedFds fds) throws DeviceException {
        final List<Irq> irqs = device.irqs();
        final long index = Integer.toUnsignedLong(s.index());
        if (index >= irqs.size()) {
            return Outcome.fail(Errno.EINVAL, "SET_IRQS: no IRQ index " + index);
        }
        final Irq irq = irqs.get((int) index);
        final long start = Integer.toUnsignedLong(s.start());
        final long count = Integer.toUnsignedLong(s.count());
        final int data = s.flags() & SetIrqs.DATA_MASK;
        final int action = s.flags() & SetIrqs.ACTION_MASK_ALL;
        if (count == 0) {
            if (data == SetIrqs.DATA_NONE && action == SetIrqs.ACTION_TRIGGER) {
                disable((int) index, irq);
                return ack();
            }
            return Outcome.fail(Errno.EINVAL, "SET_IRQS: count 0 is only valid with DATA_NONE|ACTION_TRIGGER");
        }
        if (start + count > irq.info().count()) {
            return Outcome.fail(Errno.EINVAL, "SET_IRQS: vectors " + start + ".." + (start + count - 1) + " outside "
                    + irq.info().type() + " (" + irq.info().count() + " vectors)");
        }
        if (data == SetIrqs.DATA_EVENTFD) {
            if (action != SetIrqs.ACTION_TRIGGER) {
                return Outcome.fail(Errno.EINVAL, "SET_IRQS: eventfds are only supported for ACTION_TRIGGER");
            }
            final List<EventFd> checked = new ArrayList<>();
            for (int i = 0; i < fds.size(); i++) {
                try {
                    checked.add(EventFd.fromPeer(fds.peek(i)));
                } catch (final PosixException x) {
                    return Outcome.fail(Errno.EINVAL, "SET_IRQS: fd " + i + ": " + x.getMessage());
                }
            }
            for (int i = 0; i < count; i++) {
                final int vector = (int) start + i;
                final EventFd e = i < checked.size() ? checked.get(i) : null;
                if (e != null) {
                    fds.take(i);
                }
                irq.setTrigger(vector, e == null ? null : () -> signal(e));
                replace((int) index, vector, e);
            }
            return ack();
        }
        for (int i = 0; i < count; i++) {
            if (data == SetIrqs.DATA_BOOL && s.boolData().byteAt(i) == 0) {
                continue;
            }
            final int vector = (int) start + i;
            switch (action) {
                case SetIrqs.ACTION_TRIGGER -> irq.trigger(vector);
                case SetIrqs.ACTION_MASK -> irq.setMasked(vector, true);
                default -> irq.setMasked(vector, false);
            }
        }
        return ack();
    }

    /**
     * Never blocks the signalling thread (the dispatcher, or a device thread): the fd is a verified, non-blocking
     * eventfd; a saturated counter (the client does not consume) drops this signal, which coalesces with the
     * pending one, as an edge-triggered interrupt does.
     */
    private static void signal(final EventFd e) throws DeviceException {
        try {
            if (!e.trySignal()) {
                LOG.log(System.Logger.Level.DEBUG, "{0} saturated: interrupt coalesced", e);
            }
        } catch (final PosixException | IllegalStateException x) {
            throw new DeviceException(Errno.EBADF, "eventfd signal failed: " + x.getMessage(), x);
        }
    }

    private void disable(final int index, final Irq irq) {
        irq.clear();
        for (int v = 0; v < irq.info().count(); v++) {
            replace(index, v, null);
        }
    }

    private void replace(final int index, final int vector, final EventFd next) {
        final long key = (long) index << 32 | vector;
        final EventFd old = next == null ? eventfds.remove(key) : eventfds.put(key, next);
        if (old != null && old != next) {
            old.close();
        }
    }

    private static Outcome ack() {
        return Outcome.ok(new Ack(Command.DEVICE_SET_IRQS));
    }

    /** De-assigns every trigger and closes the client's eventfds (client disconnect). */
    @Override
    public void close() {
        final List<Irq> irqs = device.irqs();
        for (int i = 0; i < irqs.size(); i++) {
            disable(i, irqs.get(i));
        }
        eventfds.values().forEach(EventFd::close);
        eventfds.clear();
    }
}
