package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.Malformed;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.MigDataRead;
import dev.tern.vfiouser.codec.MigDataWrite;
import dev.tern.vfiouser.codec.Request;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Handles one client command and sends its answer: decode, dispatch to the device's handlers, reply or error reply
 * (specification "Error handling": an errno, never a dropped command). Called by {@link ClientSession}'s reader for
 * a command it handles itself and by its dispatcher for every other, one command at a time.
 */
final class CommandRunner {
    private static final System.Logger LOG = System.getLogger(CommandRunner.class.getName());

    private final MessageChannel channel;
    private final CommandDispatcher dispatcher;
    private final MessageDecoder decoder;
    private final RegionReadInPlace regionReads;

    CommandRunner(final MessageChannel channel, final CommandDispatcher dispatcher, final MessageDecoder decoder) {
        this.channel = channel;
        this.dispatcher = dispatcher;
        this.decoder = decoder;
        this.regionReads = new RegionReadInPlace(channel, dispatcher.regions(), decoder.limits());
    }

    /**
     * A REGION_READ or MIG_DATA_READ received in place ({@link MessageChannel#receiveInPlace}), answered without
     * allocation by {@link RegionReadInPlace} or {@link #migDataRead}; its failures are answered as {@link #handle}
     * answers them.
     */
    void handleInPlace(final Incoming.InPlace m) {
        Outcome o;
        try {
            o = m.command() == Command.MIG_DATA_READ.code() ? migDataRead(m) : regionReads.answer(m);
        } catch (final DeviceException e) {
            o = Outcome.fail(e.errno(), e.getMessage());
        } catch (final IOException e) {
            LOG.log(Level.DEBUG, "reply to {0} failed: {1}", m.header(), e.getMessage());
            channel.close();
            return;
        } catch (final RuntimeException e) {
            LOG.log(Level.WARNING, "handling " + m.header() + " failed", e);
            o = Outcome.fail(Errno.EIO, e.toString());
        }
        if (o != null) {
            answer(m.header(), o);
        }
    }

    /**
     * MIG_DATA_READ in place: checked through {@link MigDataRead#problem} as its decoder checks it, answered by the
     * handler's zero-copy reply ({@link Outcome.Direct}) sent at once, before the next receive.
     *
     * @return null once answered (or for NO_REPLY, once read), else the failure to answer with
     */
    private Outcome migDataRead(final Incoming.InPlace m) throws DeviceException, IOException {
        final MemorySegment p = m.payload();
        final int size = MigDataRead.sizeAt(p);
        final String problem = MigDataRead.problem(m.payloadSize(), MigDataRead.argszAt(p), size, decoder.limits());
        if (problem != null) {
            return Outcome.fail(Errno.EINVAL, "MIG_DATA_READ: " + problem);
        }
        final Outcome o = dispatcher.migDataRead(size);
        if (!(o instanceof Outcome.Direct d)) {
            return o;
        }
        if (!m.noReply()) {
            channel.sendReply(m.msgId(), d.command(), d.fields(), d.data());
        }
        return null;
    }

    void handle(final Incoming.Message m) {
        final Frame frame = m.frame();
        final ReceivedFds fds = new ReceivedFds(m.fds());
        Outcome o;
        try {
            o = switch (decoder.decode(frame)) {
                case Malformed x -> Outcome.fail(x.errno(), x.reason());
                case Decoded ok -> dispatcher.dispatch((Request) ok.message(), fds);
            };
        } catch (final DeviceException e) {
            o = Outcome.fail(e.errno(), e.getMessage());
        } catch (final RuntimeException e) {
            LOG.log(Level.WARNING, "handling " + frame.header() + " failed", e);
            o = Outcome.fail(Errno.EIO, e.toString());
        } finally {
            fds.closeUntaken();
        }
        answer(frame.header(), o);
    }

    /**
     * A command received into the channel's lent buffer (MIG_DATA_WRITE, {@link MessageChannel#receiveCommandsDirect})
     * with nothing before it: its data goes from that buffer into the device's stream, then the buffer is given back
     * and the reply sent. Checked as its decoder would ({@link MigDataWrite#dataSize}).
     */
    void handleLent(final Incoming.Loaned l) {
        Outcome o;
        try {
            final int n = MigDataWrite.dataSize(l.payload());
            o = n < 0 || n > channel.inboundLimits().maxDataXferSize()
                    ? Outcome.fail(Errno.EINVAL, "MIG_DATA_WRITE: malformed or larger than max_data_xfer_size")
                    : dispatcher.migDataWrite(l.payload().slice(MigDataRead.SIZE, n));
        } catch (final DeviceException e) {
            o = Outcome.fail(e.errno(), e.getMessage());
        } catch (final RuntimeException e) {
            LOG.log(Level.WARNING, "handling " + l.header() + " failed", e);
            o = Outcome.fail(Errno.EIO, e.toString());
        } finally {
            l.release();
        }
        answer(l.header(), o);
    }

    /** Sends the reply {@code o} to the command {@code h} (none for a command that asked for none). */
    private void answer(final Header h, final Outcome o) {
        if (h.noReply()) {
            return;
        }
        try {
            switch (o) {
                case Outcome.Ok ok -> channel.send(MessageEncoder.reply(h.msgId(), ok.reply()), ok.fds());
                case Outcome.Direct d -> channel.sendReply(h.msgId(), d.command(), d.fields(), d.data());
                case Outcome.Fail f -> {
                    LOG.log(Level.INFO, "error reply to {0}: {1} ({2})", h, Errno.name(f.errno()), f.reason());
                    channel.send(MessageEncoder.errorFor(h, f.errno()), List.of());
                }
            }
        } catch (final IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "reply to {0} failed: {1}", h, e.getMessage());
            channel.close();
        }
    }
}
