package dev.tern.vfiouser.client;

import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.RegionAccess;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.ReplySlot;
import java.lang.foreign.MemorySegment;
import java.util.function.BooleanSupplier;

/**
 * A caller's slot for REGION_READ replies received in place: the reading thread checks the reply through the
 * {@link RegionAccess} flyweight (the record decoder's own validation) and copies its data straight into the
 * caller's memory. The outcome is an errno, 0 for success, with a reason; a reply that came framed is decoded by
 * the caller instead ({@link #framed()}).
 */
final class RegionReadSlot extends ReplySlot {
    private final RegionAccess reply = new RegionAccess();
    private final BooleanSupplier doneCheck = this::isDone;
    private final CodecLimits limits;
    private MemorySegment dst = MemorySegment.NULL;
    private long at;
    private int count;
    private int errno;
    private String reason;

    RegionReadSlot(final CodecLimits limits) {
        this.limits = limits;
    }

    /** Where the next reply's data goes: {@code count} bytes at {@code dst[at]}. */
    void into(final MemorySegment destination, final long offset, final int bytes) {
        this.dst = destination;
        this.at = offset;
        this.count = bytes;
        this.errno = Errno.EIO;
        this.reason = "no reply";
    }

    @Override
    protected void takeInPlace(final Incoming.InPlace r) {
        if (r.isError()) {
            errno = r.errorNo();
            reason = "REGION_READ refused by the server";
            return;
        }
        final RegionAccess a = reply.wrap(r.payload(), 0, r.payloadSize());
        final String problem = a.withDataProblem(limits);
        if (problem != null) {
            errno = Errno.EPROTO;
            reason = "REGION_READ: malformed reply: REGION_READ reply: " + problem;
        } else if (Integer.toUnsignedLong(a.count()) != count) {
            errno = Errno.EPROTO;
            reason = "REGION_READ returned " + Integer.toUnsignedLong(a.count()) + " of " + count;
        } else {
            MemorySegment.copy(r.payload(), a.dataAt(), dst, at, count);
            errno = 0;
        }
    }

    /** {@return {@link #isDone()} as a supplier, made once} */
    BooleanSupplier doneCheck() {
        return doneCheck;
    }

    /** {@return the errno of an in-place reply, 0 once its data is in the caller's memory} */
    int errno() {
        return errno;
    }

    /** {@return why {@link #errno()} is not 0} */
    String reason() {
        return reason;
    }
}
