package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaChannel;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.DecodeResult;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.DmaRead;
import dev.tern.vfiouser.codec.DmaReadReply;
import dev.tern.vfiouser.codec.DmaWrite;
import dev.tern.vfiouser.codec.DmaWriteReply;
import dev.tern.vfiouser.codec.ErrorReply;
import dev.tern.vfiouser.codec.Malformed;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.Request;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import dev.tern.vfiouser.transport.MsgIds;
import dev.tern.vfiouser.transport.ReplyRouter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Message-based DMA (specification "VFIO_USER_DMA_READ" / "VFIO_USER_DMA_WRITE"): the server asks the client to
 * read or write its memory, in pieces no larger than both sides' {@code max_data_xfer_size}. Any device thread may
 * call it, including the dispatcher while it handles a client command: the reply is routed by {@code msg_id} by the
 * session's reader thread, which never waits for the dispatcher (see {@link ClientSession} for the deadlock
 * rules). A refusal by the client becomes a {@link DeviceException} with the client's errno; a lost connection or a
 * missing reply EIO.
 */
final class SocketDmaChannel implements DmaChannel {
    private final MessageChannel channel;
    private final ReplyRouter router;
    private final MsgIds ids;
    private final MessageDecoder decoder;
    private final long chunk;
    private final Duration timeout;

    SocketDmaChannel(final MessageChannel channel, final ReplyRouter router, final MsgIds ids,
            final MessageDecoder decoder, final long chunk, final Duration timeout) {
        this.channel = channel;
        this.router = router;
        this.ids = ids;
        this.decoder = decoder;
        this.chunk = chunk;
        this.timeout = timeout;
    }

    @Override
    public void read(final long iova, final MemorySegment dst) throws DeviceException {
        for (long done = 0; done < dst.byteSize();) {
            final long n = Math.min(chunk, dst.byteSize() - done);
            final DmaReadReply r = call(new DmaRead(iova + done, n), DmaReadReply.class);
            if (r.data().length() != n || r.addr() != iova + done) {
                throw new DeviceException(dev.tern.sys.Errno.EIO, "DMA_READ reply for 0x" + Long.toHexString(r.addr())
                        + " with " + r.data().length() + " bytes, asked " + n + " at 0x" + Long.toHexString(iova + done));
            }
            MemorySegment.copy(MemorySegment.ofBuffer(r.data().asReadOnlyBuffer()), 0, dst, done, n);
            done += n;
        }
    }

    @Override
    public void write(final long iova, final MemorySegment src) throws DeviceException {
        for (long done = 0; done < src.byteSize();) {
            final long n = Math.min(chunk, src.byteSize() - done);
            final byte[] bytes = src.asSlice(done, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            call(new DmaWrite(iova + done, Blob.wrap(bytes)), DmaWriteReply.class);
            done += n;
        }
    }

    private <R> R call(final Request request, final Class<R> type) throws DeviceException {
        final int id = ids.next();
        final Incoming.Message reply;
        try {
            final CompletableFuture<Incoming> f = router.expect(id);
            try {
                channel.send(MessageEncoder.command(id, request), List.of());
            } catch (final IOException e) {
                router.cancel(id);
                throw e;
            }
            reply = router.await(id, f, timeout);
        } catch (final IOException e) {
            throw new DeviceException(dev.tern.sys.Errno.EIO, request.command() + " to the client failed: "
                    + e.getMessage(), e);
        }
        reply.closeFds();
        final DecodeResult d = decoder.decode(reply.frame());
        return switch (d) {
            case Malformed m -> throw new DeviceException(dev.tern.sys.Errno.EIO, request.command()
                    + ": malformed reply from the client: " + m.reason());
            case Decoded ok when ok.message() instanceof ErrorReply e -> throw new DeviceException(e.errno(),
                    request.command() + " refused by the client");
            case Decoded ok when type.isInstance(ok.message()) && ok.message().command() == request.command() ->
                    type.cast(ok.message());
            case Decoded ok -> throw new DeviceException(dev.tern.sys.Errno.EIO, request.command()
                    + ": unexpected reply " + ok.message().command());
        };
    }
}
