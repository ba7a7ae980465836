package dev.tern.vfiouser.client;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.sys.EventFd;
import dev.tern.sys.Fd;
import dev.tern.sys.SharedMemory;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.DeviceInfo;
import dev.tern.vfiouser.codec.DeviceReset;
import dev.tern.vfiouser.codec.DmaMap;
import dev.tern.vfiouser.codec.DmaUnmap;
import dev.tern.vfiouser.codec.DmaUnmapReply;
import dev.tern.vfiouser.codec.GetRegionInfo;
import dev.tern.vfiouser.codec.IrqInfo;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataReadReply;
import dev.tern.vfiouser.codec.RegionInfoReply;
import dev.tern.vfiouser.codec.RegionWrite;
import dev.tern.vfiouser.codec.RegionWriteReply;
import dev.tern.vfiouser.codec.Session;
import dev.tern.vfiouser.codec.SetIrqs;
import dev.tern.vfiouser.codec.Version;
import dev.tern.vfiouser.transport.MessageChannel;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The VMM side of vfio-user: connects to any vfio-user server (Tern's, libvfio-user's, …), negotiates, and offers
 * the commands as methods. Errors the server reports come back as {@link DeviceException} with the server's errno;
 * a lost connection, a malformed reply or a timeout as EIO / EPROTO.
 * <p>
 * Guest memory: {@link #mapDma(long, SharedMemory, boolean)} passes the memfd so the server can mmap it;
 * {@link #mapDmaWithoutFd} makes the server use DMA_READ / DMA_WRITE messages, which this client answers from the
 * memory registered here as soon as they arrive, without waiting for anything else (so a server that issues DMA
 * while handling our command cannot deadlock us): from that map on by a reader thread; before it, and while no
 * such map exists, the caller waiting for a reply reads the socket itself (no thread hop per round trip).
 * <p>
 * Thread-safe: commands from several threads are pipelined and matched to their replies by {@code msg_id}.
 */
public final class VfioUserClient implements AutoCloseable {
    private final ClientConnection connection;
    private final MappedRanges memory;

    private VfioUserClient(final ClientConnection connection, final MappedRanges memory) {
        this.connection = connection;
        this.memory = memory;
    }

    /**
     * Connects and negotiates.
     *
     * @param socket  the server's socket
     * @param options what to propose
     * @return a negotiated client
     * @throws DeviceException ECONNREFUSED/ENOENT if nobody listens, EAGAIN if the server's listen backlog stays
     *                         full for the reply timeout, ETIMEDOUT if VERSION is not answered in that time, the
     *                         server's errno if it refuses the VERSION, EPROTO for a reply that breaks the
     *                         negotiation rules
     */
    public static VfioUserClient connect(final Path socket, final ClientOptions options) throws DeviceException {
        final UnixSocket s;
        try {
            s = UnixSocket.connect(socket, options.replyTimeout());
        } catch (final dev.tern.sys.PosixException e) {
            throw new DeviceException(e.errno(), "cannot connect to " + socket + ": " + (e.errno() == Errno.EAGAIN
                    ? "its listen backlog stayed full for " + options.replyTimeout().toMillis() + " ms (a vfio-user"
                            + " server serves one client at a time)" : e.getMessage()), e);
        }
        return over(s, options);
    }

    /**
     * Negotiates over an already connected socket (e.g. one end of a socketpair).
     *
     * @param socket  the socket; the client owns it
     * @param options what to propose
     * @return a negotiated client
     * @throws DeviceException see {@link #connect}
     */
    public static VfioUserClient over(final UnixSocket socket, final ClientOptions options) throws DeviceException {
        final Capabilities p = options.proposal();
        final MessageChannel channel = new MessageChannel(socket, CodecLimits.forDataXfer(
                p.effectiveMaxDataXferSize(), Math.min(p.effectiveMaxMsgFds(), CodecLimits.MAX_FDS_LIMIT)));
        final MappedRanges memory = new MappedRanges();
        try {
            return new VfioUserClient(ClientConnection.negotiate(channel, options, memory), memory);
        } catch (final DeviceException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** {@return the connection (for this package's tests of its decoded paths)} */
    ClientConnection connection() {
        return connection;
    }

    /** {@return what both sides agreed in VERSION} */
    public Session session() {
        return connection.session();
    }

    /** {@return the server's VERSION reply} */
    public Version serverVersion() {
        return connection.serverVersion();
    }

    /** {@return whether the server accepted the Tern extension object (its diagnostics are then available)} */
    public boolean ternAccepted() {
        return connection.serverVersion().capabilities().flatMap(Capabilities::tern).isPresent();
    }

    /**
     * {@return DEVICE_GET_INFO: flags, number of regions and IRQ indexes}
     *
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public DeviceInfo deviceInfo() throws DeviceException {
        return connection.call(DeviceInfo.request(), List.of(), DeviceInfo.class).reply();
    }

    /**
     * DEVICE_GET_REGION_INFO, retried with the argsz the server asks for when the capabilities do not fit
     * (specification "VFIO_USER_DEVICE_GET_REGION_INFO").
     *
     * @param index region index
     * @return the description; close it to close the fd
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public RegionDescription regionInfo(final int index) throws DeviceException {
        int argsz = RegionInfoReply.SIZE + 256;
        for (int attempt = 0; attempt < 2; attempt++) {
            final ClientConnection.Response<RegionInfoReply> r = connection.call(new GetRegionInfo(argsz, index),
                    List.of(), RegionInfoReply.class);
            final RegionInfoReply info = r.reply();
            if (Integer.toUnsignedLong(info.argsz()) <= argsz || attempt == 1) {
                final List<Fd> fds = r.fds();
                for (int i = 1; i < fds.size(); i++) {
                    fds.get(i).close();
                }
                return new RegionDescription(info, fds.isEmpty() ? Optional.empty() : Optional.of(fds.getFirst()));
            }
            r.fds().forEach(Fd::close);
            if (Integer.toUnsignedLong(info.argsz()) > connection.maxDataPiece()) {
                throw new DeviceException(Errno.EPROTO, "DEVICE_GET_REGION_INFO: the server asks for argsz "
                        + Integer.toUnsignedLong(info.argsz()) + " for region " + index + ", above "
                        + connection.maxDataPiece());
            }
            argsz = info.argsz();
        }
        throw new IllegalStateException("unreachable");
    }

    /**
     * {@return DEVICE_GET_IRQ_INFO of one IRQ index}
     *
     * @param index the IRQ index
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public IrqInfo irqInfo(final int index) throws DeviceException {
        return connection.call(IrqInfo.request(index), List.of(), IrqInfo.class).reply();
    }

    /**
     * {@link #readRegion(int, long, MemorySegment)} into a new array.
     *
     * @param region the region index
     * @param offset the offset within the region
     * @param count bytes to read
     * @return the bytes read
     * @throws DeviceException as {@link #readRegion(int, long, MemorySegment)}
     */
    public byte[] readRegion(final int region, final long offset, final int count) throws DeviceException {
        final byte[] out = new byte[count];
        readRegion(region, offset, MemorySegment.ofArray(out));
        return out;
    }

    /**
     * REGION_READ into the caller's memory, split into pieces both sides' {@code max_data_xfer_size} allow. Nothing
     * is allocated per call in steady state: the command is laid out in a reused buffer, the reply received in place
     * and its data copied once, into {@code dst} (issue 12).
     *
     * @param region the region index
     * @param offset the offset within the region
     * @param dst receives {@code dst.byteSize()} bytes (at most 2<sup>31</sup>-1)
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void readRegion(final int region, final long offset, final MemorySegment dst) throws DeviceException {
        final int count = Math.toIntExact(dst.byteSize());
        final int piece = (int) Math.min(Integer.MAX_VALUE, connection.maxDataPiece());
        for (int done = 0; done == 0 || done < count; done += piece) { // one command even for 0 bytes (EINVAL)
            connection.readRegionInto(region, offset + done, dst, done, Math.min(piece, count - done));
        }
    }

    /**
     * REGION_WRITE, split into pieces the server's {@code max_data_xfer_size} allows.
     *
     * @param region the region index
     * @param offset the offset within the region
     * @param data the bytes to write
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void writeRegion(final int region, final long offset, final byte[] data) throws DeviceException {
        final int piece = (int) Math.min(Integer.MAX_VALUE, connection.maxDataPiece());
        int done = 0;
        do {
            final int n = Math.min(piece, data.length - done);
            connection.call(new RegionWrite(offset + done, region, Blob.wrap(Arrays.copyOfRange(data, done,
                    done + n))), List.of(), RegionWriteReply.class);
            done += n;
        } while (done < data.length);
    }

    /**
     * DMA_MAP with the memfd: the server mmaps {@code memory} at {@code iova}. The client keeps answering
     * DMA_READ/WRITE for it too, should the server use messages anyway.
     *
     * @param iova where the server's device sees the memory
     * @param memory the memfd-backed memory; its fd is sent
     * @param writable false for a mapping the device may only read
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void mapDma(final long iova, final SharedMemory memory, final boolean writable) throws DeviceException {
        final int flags = DmaMap.FLAG_READ | (writable ? DmaMap.FLAG_WRITE : 0);
        this.memory.add(iova, memory.segment(), writable);
        try {
            connection.call(DmaMap.of(flags, memory.offset(), iova, memory.size(), true), List.of(memory.fd()),
                    Ack.class);
        } catch (final DeviceException e) {
            this.memory.remove(iova, memory.size());
            throw e;
        }
    }

    /**
     * DMA_MAP without an fd: the server reaches {@code memory} only through DMA_READ / DMA_WRITE messages.
     *
     * @param iova where the server's device sees the memory
     * @param memory the memory this client serves DMA_READ/DMA_WRITE from
     * @param writable false for a mapping the device may only read
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void mapDmaWithoutFd(final long iova, final MemorySegment memory, final boolean writable)
            throws DeviceException {
        final int flags = DmaMap.FLAG_READ | (writable ? DmaMap.FLAG_WRITE : 0);
        this.memory.add(iova, memory, writable);
        connection.serveServerRequests(); // the server may now send DMA_READ / DMA_WRITE at any time
        try {
            connection.call(DmaMap.of(flags, 0, iova, memory.byteSize(), false), List.of(), Ack.class);
        } catch (final DeviceException e) {
            this.memory.remove(iova, memory.byteSize());
            throw e;
        }
    }

    /**
     * DMA_UNMAP of {@code [iova, iova + size)}.
     *
     * @param iova the start of the range
     * @param size the range's length
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void unmapDma(final long iova, final long size) throws DeviceException {
        connection.call(DmaUnmap.of(iova, size), List.of(), DmaUnmapReply.class);
        memory.remove(iova, size);
    }

    /**
     * DEVICE_SET_IRQS with DATA_EVENTFD | ACTION_TRIGGER: vector {@code start + i} signals {@code eventfds[i]};
     * sent in batches of at most the server's {@code max_msg_fds}.
     *
     * @param index the IRQ index
     * @param start the first vector
     * @param eventfds one eventfd per vector from {@code start}
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void setIrqEventfds(final int index, final int start, final List<EventFd> eventfds)
            throws DeviceException {
        final int batch = Math.max(1, Math.min(connection.session().serverMaxMsgFds(), 16));
        for (int done = 0; done < eventfds.size(); done += batch) {
            final List<EventFd> part = eventfds.subList(done, Math.min(eventfds.size(), done + batch));
            connection.call(SetIrqs.eventfds(SetIrqs.ACTION_TRIGGER, index, start + done, part.size(), part.size()),
                    part.stream().map(EventFd::fd).toList(), Ack.class);
        }
    }

    /**
     * DEVICE_SET_IRQS with DATA_NONE | ACTION_TRIGGER and count 0: de-assign every vector of the index.
     *
     * @param index the IRQ index
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void disableIrqs(final int index) throws DeviceException {
        connection.call(new SetIrqs(SetIrqs.SIZE, SetIrqs.DATA_NONE | SetIrqs.ACTION_TRIGGER, index, 0, 0,
                Blob.empty(), 0), List.of(), Ack.class);
    }

    /**
     * DEVICE_RESET.
     *
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void reset() throws DeviceException {
        connection.call(new DeviceReset(), List.of(), Ack.class);
    }

    /**
     * {@return the server's reply to a DEVICE_FEATURE request}
     *
     * @param request GET, SET or PROBE of one feature
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public DeviceFeature feature(final DeviceFeature request) throws DeviceException {
        return connection.call(request, List.of(), DeviceFeature.class).reply();
    }

    /**
     * {@return MIG_DATA_READ of at most {@link #maxMigrationChunk()} bytes}
     *
     * @param size bytes asked for
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public MigDataReadReply migDataRead(final int size) throws DeviceException {
        return connection.call(MigDataRead.of(size), List.of(), MigDataReadReply.class).reply();
    }

    /**
     * MIG_DATA_READ of {@code size} bytes whose data goes straight into {@code dst} (the reply is received into a
     * reusable buffer, not framed and decoded).
     *
     * @param size the bytes to ask for, at most {@code dst.remaining()}
     * @param dst  where the data goes
     * @return the reply's {@code size}: the bytes put into {@code dst} (padding is not)
     * @throws DeviceException the server's errno; EPROTO for a malformed reply or more data than asked for
     */
    public int migDataRead(final int size, final ByteBuffer dst) throws DeviceException {
        return connection.migDataReadInto(MigDataRead.of(size), dst);
    }

    /**
     * MIG_DATA_WRITE of at most {@link #maxMigrationChunk()} bytes sent from {@code data} itself: header, argsz and
     * size, then the data, in one gather {@code sendmsg} (no Java copy of the data for native memory).
     *
     * @param data the bytes, all of them
     * @throws DeviceException the errno of the server's error reply; ETIMEDOUT without a reply in time, EIO if the
     *     connection failed, EPROTO for a malformed reply
     */
    public void migDataWrite(final MemorySegment data) throws DeviceException {
        connection.callGather(Command.MIG_DATA_WRITE, migDataWriteFields(data), data, Ack.class);
    }

    /**
     * Sends a MIG_DATA_WRITE like {@link #migDataWrite} without waiting for its reply: {@code data} may be reused
     * on return (it is in the socket then); the reply is collected by {@link #finishMigDataWrite}.
     */
    ClientConnection.InFlight startMigDataWrite(final MemorySegment data) throws DeviceException {
        return connection.startGather(Command.MIG_DATA_WRITE, migDataWriteFields(data), data);
    }

    /** @throws DeviceException the server's errno for the MIG_DATA_WRITE {@code f}, or as {@link #migDataWrite} */
    void finishMigDataWrite(final ClientConnection.InFlight f) throws DeviceException {
        connection.finish(f, Ack.class);
    }

    /** Sends a MIG_DATA_READ of {@code size} bytes; its reply is collected by {@link #finishMigDataRead}. */
    ClientConnection.InFlight startMigDataRead(final int size) throws DeviceException {
        return connection.startMigDataRead(size);
    }

    /** The reply of {@code f}, a MIG_DATA_READ of {@code size} bytes, into {@code dst}, as {@link #migDataRead}. */
    int finishMigDataRead(final ClientConnection.InFlight f, final int size, final ByteBuffer dst)
            throws DeviceException {
        return connection.finishMigDataRead(f, MigDataRead.of(size), dst);
    }

    /** Drops the reply of a command sent ahead (nothing waits for it). */
    void discard(final ClientConnection.InFlight f) {
        connection.discard(f);
    }

    private static ByteBuffer migDataWriteFields(final MemorySegment data) {
        final int size = Math.toIntExact(data.byteSize());
        return ByteBuffer.allocate(MigDataRead.SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(MigDataRead.SIZE + size).putInt(size).flip();
    }

    /** {@return the largest migration data chunk both sides accept} */
    public int maxMigrationChunk() {
        return (int) Math.min(1L << 30, connection.maxDataPiece());
    }

    /** {@return the largest data count of one message both sides accept} */
    public long maxDataPiece() {
        return connection.maxDataPiece();
    }

    /** Disconnects; the server keeps the device (specification "Client Disconnection"). */
    @Override
    public void close() {
        connection.close();
        memory.clear();
    }
}
