package dev.tern.cli;

import dev.tern.conformance.Subject;
import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.protocol.Arc;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The conformance kit's {@link Subject} for devices behind vfio-user sockets ({@code tern check --socket PATH}).
 * <p>
 * A socket serves one client at a time and hosts one device, so every open target occupies one socket. {@link #open}
 * connects to the first socket not in use, negotiates and resets the device (a "fresh target in RUNNING", walked
 * there through the FSM where the server's reset keeps the state). The round-trip checks open a source and a
 * destination at once and therefore need two sockets serving the same kind of device: {@link #maxOpen()} is the
 * number of sockets, and with one the kit skips them.
 * <p>
 * Fault injection is not part of vfio-user: {@link #injectFailure} uses the Tern test hook FAIL_NEXT_ARC, which only
 * a Tern server started with fault injection offers ({@code tern serve --fault-injection}); otherwise it returns
 * false and the kit skips its fault checks. Arc observation is not available over a socket.
 */
public final class SocketSubject implements Subject {
    private final List<Path> sockets;
    private final ClientOptions options;
    private final Set<Path> inUse = new HashSet<>();

    /**
     * A subject whose targets are the devices behind {@code sockets}, one open target per socket.
     *
     * @param sockets the servers' sockets, each hosting the same kind of device
     * @param options what clients propose
     */
    public SocketSubject(final List<Path> sockets, final ClientOptions options) {
        if (sockets.isEmpty()) {
            throw new IllegalArgumentException("at least one socket");
        }
        this.sockets = List.copyOf(sockets);
        this.options = options;
    }

    @Override
    public String name() {
        return "vfio-user " + sockets;
    }

    @Override
    public int maxOpen() {
        return sockets.size();
    }

    @Override
    public MigrationTarget open() throws DeviceException {
        final Path path = claim();
        VfioUserClient client = null;
        try {
            client = VfioUserClient.connect(path, options);
            final VfioUserMigrationTarget t = new VfioUserMigrationTarget(client, () -> release(path));
            t.reset();
            return t;
        } catch (final DeviceException | RuntimeException e) {
            if (client != null) {
                client.close();
            }
            release(path);
            throw e;
        }
    }

    private synchronized Path claim() throws DeviceException {
        for (final Path p : sockets) {
            if (inUse.add(p)) {
                return p;
            }
        }
        throw new DeviceException(Errno.EBUSY, "all " + sockets.size() + " socket(s) are in use: one vfio-user"
                + " socket serves one client; checks that need a source and a destination at once need a second"
                + " server (--socket A --socket B)");
    }

    private synchronized void release(final Path path) {
        inUse.remove(path);
    }

    @Override
    public boolean injectFailure(final MigrationTarget target, final Arc arc) {
        return target instanceof VfioUserMigrationTarget v && v.failNextArc(arc, Errno.EIO);
    }
}
