package dev.tern.vfiouser.testing;

import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test fixture of Tern servers, each behind its own {@link LibvfioUserRelay} (a server that behaves on the wire as
 * libvfio-user does), in one temporary directory; closing it closes everything it started, newest first. The interop
 * tests of the client (vfio-user) and of the kit's socket subject (CLI) share it.
 */
public final class RelayedServers implements AutoCloseable {
    private final Path dir = TestServers.dir();
    private final List<AutoCloseable> open = new ArrayList<>();

    /** A served device and the relay in front of it; clients connect to {@code relay().path()}. */
    public record Relayed(VfioUserServer server, LibvfioUserRelay relay) {
    }

    /** @return the directory the sockets live in */
    public Path dir() {
        return dir;
    }

    /** @return a dma-engine served on {@code NAME-tern.sock} behind a relay on {@code NAME.sock} */
    public Relayed dmaEngine(final String name) throws Exception {
        return relayed(name, TestServers.dmaEngine(dir, name + "-tern.sock"));
    }

    /** @return {@code server} (now owned by this fixture) behind a relay on {@code NAME.sock} */
    public Relayed relayed(final String name, final VfioUserServer server) throws Exception {
        open.add(server);
        final LibvfioUserRelay relay = LibvfioUserRelay.start(dir.resolve(name + ".sock"), server.path());
        open.add(relay);
        return new Relayed(server, relay);
    }

    /** @return a plain dma-engine served on {@code NAME} in this directory, with no relay */
    public VfioUserServer plainDmaEngine(final String name) throws Exception {
        final VfioUserServer s = TestServers.dmaEngine(dir, name);
        open.add(s);
        return s;
    }

    @Override
    public void close() throws Exception {
        for (final AutoCloseable c : open.reversed()) {
            c.close();
        }
        open.clear();
    }
}
