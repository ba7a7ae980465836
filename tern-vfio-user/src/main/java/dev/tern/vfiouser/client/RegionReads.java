package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.RegionAccess;
import dev.tern.vfiouser.codec.RegionRead;
import dev.tern.vfiouser.codec.RegionReadReply;
import dev.tern.vfiouser.transport.LaidOutSender;
import dev.tern.vfiouser.transport.MessageChannel;
import dev.tern.vfiouser.transport.MsgIds;
import dev.tern.vfiouser.transport.ReplyRouter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The client's REGION_READ without allocation (issue 12): the command is laid out in the channel's send buffer
 * ({@link LaidOutSender}), the reply waited for in the calling thread's {@link RegionReadSlot} (registered in the
 * {@link ReplyRouter} instead of a future and a map node) and received in place, its data copied once, into the
 * caller's memory. The waits are the connection's: the caller reads the socket itself while no one else does
 * ({@link ClientReceiver#readUntil}), else it is parked until the reading thread hands the reply over, all within the
 * reply timeout. Should the slot's place in the router be taken, or the reply come framed, the decoded path answers
 * instead ({@link ClientConnection#call}, {@link ClientConnection#decodeReply}), with the same errnos.
 */
final class RegionReads {
    private final ClientConnection connection;
    private final LaidOutSender sender;
    private final ReplyRouter router;
    private final MsgIds ids;
    private final ClientReceiver receiver;
    private final Duration timeout;
    /** Each calling thread's slot (one command at a time per thread). */
    private final ThreadLocal<RegionReadSlot> slots;

    RegionReads(final ClientConnection connection, final MessageChannel channel, final ReplyRouter router,
            final MsgIds ids, final ClientReceiver receiver, final Duration timeout) {
        this.connection = connection;
        this.sender = channel.laidOut();
        this.router = router;
        this.ids = ids;
        this.receiver = receiver;
        this.timeout = timeout;
        this.slots = ThreadLocal.withInitial(() -> new RegionReadSlot(channel.inboundLimits()));
    }

    /**
     * REGION_READ of {@code count} bytes into {@code dst[at]}.
     *
     * @throws DeviceException the server's errno; ETIMEDOUT without a reply in time; EIO if the connection failed;
     *                         EPROTO for a malformed reply or one of another length than asked for
     */
    void read(final int region, final long offset, final MemorySegment dst, final long at, final int count)
            throws DeviceException {
        final RegionReadSlot slot = slots.get();
        final int id = ids.next();
        slot.into(dst, at, count);
        try {
            if (!router.expect(id, slot)) {
                copyData(connection.call(new RegionRead(offset, region, count), List.of(), RegionReadReply.class),
                        dst, at, count);
                return;
            }
            send(id, region, offset, count);
        } catch (final IOException | IllegalStateException e) {
            router.withdraw(slot);
            throw new DeviceException(Errno.EIO, "REGION_READ: " + e.getMessage(), e);
        }
        await(slot, id);
        if (slot.framed() != null) {
            copyData(connection.decodeReply(Command.REGION_READ, slot.framed(), RegionReadReply.class), dst, at,
                    count);
        } else if (slot.errno() != 0) {
            throw new DeviceException(slot.errno(), slot.reason());
        }
    }

    private void send(final int id, final int region, final long offset, final int count) throws IOException {
        final ByteBuffer out = sender.layOut(RegionAccess.SIZE);
        try {
            RegionAccess.write(out, Header.SIZE, offset, region, count);
            sender.send(id, Command.REGION_READ.code(), Header.TYPE_COMMAND, 0);
        } finally {
            sender.end();
        }
    }

    /** The decoded path's reply: its data, checked for length, into {@code dst}. */
    private static void copyData(final ClientConnection.Response<RegionReadReply> r, final MemorySegment dst,
            final long at, final int count) throws DeviceException {
        r.fds().forEach(Fd::close);
        if (r.reply().data().length() != count) {
            throw new DeviceException(Errno.EPROTO, "REGION_READ returned " + r.reply().data().length() + " of "
                    + count);
        }
        MemorySegment.copy(MemorySegment.ofBuffer(r.reply().data().asReadOnlyBuffer()), 0, dst, at, count);
    }

    /**
     * Waits, within the reply timeout, until {@code slot} is done.
     *
     * @throws DeviceException ETIMEDOUT without a reply in time; EIO if the connection failed or the wait was
     *                         interrupted
     */
    private void await(final RegionReadSlot slot, final int id) throws DeviceException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            receiver.readUntil(slot.doneCheck(), deadline);
        } catch (final InterruptedException e) {
            interrupted = true;
        }
        long left;
        while (!slot.isDone() && !interrupted && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(slot, left);
            interrupted = Thread.currentThread().isInterrupted();
        }
        if (!slot.isDone() && router.withdraw(slot)) {
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new DeviceException(Errno.EIO, "REGION_READ: interrupted while waiting for the reply to msg_id "
                        + id);
            }
            throw new DeviceException(Errno.ETIMEDOUT, "REGION_READ: " + ReplyRouter.noReplyWithin(timeout));
        }
        while (!slot.isDone()) {
            Thread.onSpinWait(); // a reading thread took the slot: it is copying the reply now
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (slot.failure() != null) {
            throw new DeviceException(Errno.EIO, "REGION_READ: " + slot.failure());
        }
    }
}
