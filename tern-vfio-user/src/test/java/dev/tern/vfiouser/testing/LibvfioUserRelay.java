package dev.tern.vfiouser.testing;

import dev.tern.sys.Fd;
import dev.tern.sys.UnixServerSocket;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.Blob;
import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.Decoded;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Feature;
import dev.tern.vfiouser.codec.FeaturePayload;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.codec.Header;
import dev.tern.vfiouser.codec.MessageDecoder;
import dev.tern.vfiouser.codec.MessageEncoder;
import dev.tern.vfiouser.codec.Version;
import dev.tern.vfiouser.transport.Incoming;
import dev.tern.vfiouser.transport.MessageChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.AsynchronousCloseException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A vfio-user server that behaves on the wire as libvfio-user does (vfio-user-interop.md §1), built as a relay in
 * front of a <b>plain</b> Tern server: a client connects here, and every message goes on to the Tern server except
 * where libvfio-user would answer differently. What it reproduces:
 * <ul>
 * <li><b>L7</b> VERSION: the client's {@code tern} object is dropped (libvfio-user ignores unknown names), and the
 * reply is json-c's spaced form with the non-spec {@code "migration": { "pgsize": 4096 }} and no pgsizes,
 * max_dma_maps or twin_socket, byte for byte as observed.</li>
 * <li><b>L4</b> DEVICE_FEATURE other than 1, 2, 6, 7, 8 (MIG_DATA_SIZE, Tern's) is EINVAL; MIGRATION is 0x5 for a
 * pre-copy device (the plain Tern server hides P2P).</li>
 * <li><b>L1</b> an ERROR reply to DEVICE_FEATURE carries the byte echo of the request after the header.</li>
 * <li><b>L2</b> DEVICE_RESET keeps the migration state: refused (EINVAL, header only) in STOP and STOP_COPY,
 * answered without effect on the state in PRE_COPY and RESUMING, passed on in RUNNING (and ERROR, which
 * libvfio-user never enters but Tern's engine does after a failed load).</li>
 * <li><b>L5</b> MIG_DATA_READ replies are padded to the size requested (Tern's server pads too; the relay checks
 * and pads any reply that is not).</li>
 * <li><b>L8</b> one client at a time: the next waits in the listen backlog, unanswered.</li>
 * </ul>
 * Not reproduced: L3 (commands refused in STOP / STOP_COPY), L6 (DMA logging ignoring ranges; server-side DMA
 * logging is Tern's own), L10 (sample-device assertions). {@link #seen()} counts each reproduced behaviour, so a
 * test can show it was exercised.
 */
public final class LibvfioUserRelay implements AutoCloseable {
    /** The VERSION reply JSON libvfio-user sends (vfio-user-interop.md L7), without its NUL. */
    public static final String VERSION_JSON = "{ \"capabilities\": { \"max_msg_fds\": 8, \"max_data_xfer_size\":"
            + " 1048576, \"migration\": { \"pgsize\": 4096 } } }";
    /** The features libvfio-user serves (vfio-user.md §2.1). */
    private static final Set<Integer> FEATURES = Set.of(1, 2, 6, 7, 8);
    private static final CodecLimits LIMITS = CodecLimits.forDataXfer(1L << 20, 16);

    /** The behaviours counted by {@link #seen()}. */
    public enum Behaviour {
        /** L7: VERSION answered in json-c form. */
        VERSION_REWRITTEN,
        /** L4: a feature libvfio-user does not have refused. */
        FEATURE_REFUSED,
        /** L1: an error reply with the request's echo. */
        ERROR_ECHOED,
        /** L2: a reset refused in STOP / STOP_COPY. */
        RESET_REFUSED,
        /** L2: a reset that kept PRE_COPY / RESUMING. */
        RESET_KEPT_STATE,
        /** L5: a padded MIG_DATA_READ reply shorter than requested. */
        SHORT_READ_PADDED
    }

    private final UnixServerSocket listener;
    private final Path upstream;
    private final Map<Behaviour, AtomicInteger> seen = new ConcurrentHashMap<>();
    private final AtomicLong padding = new AtomicLong();
    private volatile Connection current;
    private volatile boolean closed;

    private LibvfioUserRelay(final UnixServerSocket listener, final Path upstream) {
        this.listener = listener;
        this.upstream = upstream;
        for (final Behaviour b : Behaviour.values()) {
            seen.put(b, new AtomicInteger());
        }
    }

    /**
     * @param listen   where clients connect
     * @param upstream a Tern server's socket (the relay proposes no {@code tern} object to it)
     * @return the relay, accepting clients one after another on a daemon thread
     */
    public static LibvfioUserRelay start(final Path listen, final Path upstream) throws IOException {
        final LibvfioUserRelay r = new LibvfioUserRelay(UnixServerSocket.listen(listen), upstream);
        Thread.ofPlatform().daemon().name("libvfio-user-relay " + listen.getFileName()).start(r::serve);
        return r;
    }

    /** @return the socket clients connect to */
    public Path path() {
        return listener.path();
    }

    /** @return how often each reproduced behaviour happened */
    public Map<Behaviour, Integer> seen() {
        final Map<Behaviour, Integer> m = new EnumMap<>(Behaviour.class);
        seen.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** @return zero bytes sent after the data of MIG_DATA_READ replies (what a padded reply costs) */
    public long paddingBytes() {
        return padding.get();
    }

    private void serve() {
        while (!closed) {
            try {
                final UnixSocket client = listener.accept();
                final Connection c = new Connection(new MessageChannel(client, LIMITS),
                        new MessageChannel(UnixSocket.connect(upstream), LIMITS));
                current = c;
                c.run();
            } catch (final AsynchronousCloseException e) {
                return;
            } catch (final IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    /** One client and its upstream connection, relayed by two threads. */
    private final class Connection {
        private final MessageChannel client;
        private final MessageChannel server;
        private final MessageDecoder decoder = new MessageDecoder(LIMITS);
        private final Map<Integer, Frame> requests = new ConcurrentHashMap<>();
        private final Map<Integer, CompletableFuture<Frame>> own = new ConcurrentHashMap<>();
        private volatile int clientMinor = Version.MINOR;
        private volatile int lastClientId;

        Connection(final MessageChannel client, final MessageChannel server) {
            this.client = client;
            this.server = server;
        }

        /** Relays until either side closes; then closes both (the Tern server then takes its next client). */
        void run() {
            final Thread back = Thread.ofPlatform().daemon().name("relay server->client").start(this::fromServer);
            try {
                fromClient();
            } finally {
                server.close();
                client.close();
                try {
                    back.join(5000);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void fromClient() {
            while (true) {
                final Incoming in = client.receive();
                if (!(in instanceof Incoming.Message m)) {
                    return;
                }
                try {
                    fromClient(m.frame(), m.fds());
                } catch (final IOException e) {
                    return;
                } finally {
                    m.closeFds();
                }
            }
        }

        private void fromClient(final Frame f, final List<Fd> fds) throws IOException {
            final Header h = f.header();
            if (!h.isCommand()) {
                server.send(f, fds);
                return;
            }
            lastClientId = h.msgId();
            final Optional<Command> cmd = h.knownCommand();
            if (cmd.isPresent()) {
                switch (cmd.get()) {
                    case VERSION -> {
                        server.send(plainVersion(f), fds);
                        return;
                    }
                    case DEVICE_FEATURE -> {
                        requests.put(h.msgId(), f);
                        final ByteBuffer p = f.payload().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
                        final int index = p.remaining() >= 8 ? p.getInt(4) & DeviceFeature.INDEX_MASK : -1;
                        if (!FEATURES.contains(index)) {
                            count(Behaviour.FEATURE_REFUSED);
                            client.send(errorWithEcho(h, Errno.EINVAL, requests.remove(h.msgId())), List.of());
                            return;
                        }
                    }
                    case MIG_DATA_READ -> requests.put(h.msgId(), f);
                    case DEVICE_RESET -> {
                        if (reset(h)) {
                            return;
                        }
                    }
                    default -> {
                    }
                }
            }
            server.send(f, fds);
        }

        /** @return true if the reset was answered here (libvfio-user keeps the migration state) */
        private boolean reset(final Header h) throws IOException {
            final int state = deviceState();
            if (state == 1 || state == 3) {
                count(Behaviour.RESET_REFUSED);
                client.send(MessageEncoder.error(h.msgId(), h.command(), Errno.EINVAL), List.of());
                return true;
            }
            if (state == 4 || state == 6) {
                count(Behaviour.RESET_KEPT_STATE);
                client.send(new Frame(Header.reply(h.msgId(), Command.DEVICE_RESET, 0), Blob.empty(), 0), List.of());
                return true;
            }
            return false;
        }

        /** GET MIG_DEVICE_STATE on the relay's own account, with an id far from the client's. */
        private int deviceState() throws IOException {
            final int id = (lastClientId + 0x8000) & 0xffff;
            final CompletableFuture<Frame> reply = new CompletableFuture<>();
            own.put(id, reply);
            server.send(MessageEncoder.command(id, DeviceFeature.get(Feature.MIG_DEVICE_STATE)), List.of());
            try {
                final Frame f = reply.get(10, TimeUnit.SECONDS);
                if (decoder.decode(f) instanceof Decoded d && d.message() instanceof DeviceFeature df
                        && df.payload() instanceof FeaturePayload.MigDeviceState s) {
                    return s.deviceState();
                }
                throw new IOException("relay: GET MIG_DEVICE_STATE answered " + f.header());
            } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IOException("relay: no MIG_DEVICE_STATE reply", e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } finally {
                own.remove(id);
            }
        }

        private void fromServer() {
            while (true) {
                final Incoming in = server.receive();
                if (!(in instanceof Incoming.Message m)) {
                    client.close();
                    return;
                }
                try {
                    fromServer(m.frame(), m.fds());
                } catch (final IOException e) {
                    server.close();
                    return;
                } finally {
                    m.closeFds();
                }
            }
        }

        private void fromServer(final Frame f, final List<Fd> fds) throws IOException {
            final Header h = f.header();
            if (!h.isReply()) {
                client.send(f, fds);
                return;
            }
            final CompletableFuture<Frame> mine = own.get(h.msgId());
            if (mine != null) {
                mine.complete(f);
                return;
            }
            final Frame request = requests.remove(h.msgId());
            final Optional<Command> cmd = h.knownCommand();
            if (cmd.equals(Optional.of(Command.VERSION)) && !h.isError()) {
                count(Behaviour.VERSION_REWRITTEN);
                client.send(jsonCVersion(h), List.of());
            } else if (cmd.equals(Optional.of(Command.DEVICE_FEATURE)) && h.isError() && request != null) {
                client.send(errorWithEcho(h, h.errorNo(), request), fds);
            } else if (cmd.equals(Optional.of(Command.MIG_DATA_READ)) && !h.isError() && request != null) {
                client.send(padded(f, request), fds);
            } else {
                client.send(f, fds);
            }
        }

        /** The client's proposal without the {@code tern} object. */
        private Frame plainVersion(final Frame f) throws IOException {
            if (!(decoder.decode(f) instanceof Decoded d) || !(d.message() instanceof Version v)) {
                return f;
            }
            clientMinor = v.minor();
            final Capabilities c = v.capabilities().orElse(Capabilities.none());
            final Capabilities plain = new Capabilities(c.maxMsgFds(), c.maxDataXferSize(), c.pgsizes(),
                    c.maxDmaMaps(), c.twinSocket(), c.writeMultiple(), c.migration(), Optional.empty());
            return MessageEncoder.command(f.header().msgId(), Version.of(v.major(), v.minor(), plain));
        }

        /** libvfio-user's VERSION reply: json-c's spaced form, minor = min(client, 2). */
        private Frame jsonCVersion(final Header h) {
            final byte[] json = (VERSION_JSON + "\0").getBytes(StandardCharsets.UTF_8);
            final ByteBuffer b = ByteBuffer.allocate(4 + json.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) 0).putShort((short) Math.min(clientMinor, 2)).put(json);
            return new Frame(Header.reply(h.msgId(), Command.VERSION, b.capacity()), Blob.wrap(b.array()), 0);
        }

        private Frame errorWithEcho(final Header h, final int errno, final Frame request) {
            count(Behaviour.ERROR_ECHOED);
            final Blob echo = request.payload();
            return new Frame(new Header(h.msgId(), h.command(), Header.SIZE + (long) echo.length(),
                    Header.TYPE_REPLY | Header.FLAG_ERROR, errno), echo, 0);
        }

        /** The reply padded to 8 + requested bytes (libvfio-user's shape), if it is not already. */
        private Frame padded(final Frame reply, final Frame request) {
            final ByteBuffer req = request.payload().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            final int requested = req.getInt(4);
            final ByteBuffer rep = reply.payload().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            final int size = rep.getInt(4);
            if (Integer.compareUnsigned(size, requested) < 0) {
                count(Behaviour.SHORT_READ_PADDED);
                padding.addAndGet(Integer.toUnsignedLong(requested) - Integer.toUnsignedLong(size));
            }
            final int want = 8 + requested;
            if (reply.payload().length() == want) {
                return reply;
            }
            final byte[] out = java.util.Arrays.copyOf(reply.payload().toArray(), want);
            return new Frame(Header.reply(reply.header().msgId(), Command.MIG_DATA_READ, want), Blob.wrap(out), 0);
        }
    }

    private void count(final Behaviour b) {
        seen.get(b).incrementAndGet();
    }

    /** Stops accepting and drops the current client. */
    @Override
    public void close() {
        closed = true;
        listener.close();
        final Connection c = current;
        if (c != null) {
            c.client.close();
            c.server.close();
        }
    }
}
