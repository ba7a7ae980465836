package dev.tern.cli;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** In-process vfio-user servers on temporary sockets, closed together; and clients to inspect their devices. */
final class TestServers implements AutoCloseable {
    /** dma-engine on-device memory in the tests: small, so a migration takes milliseconds. */
    static final long ENGINE_MEMORY = 8L << 20;

    private final Path dir;
    private final List<VfioUserServer> servers = new ArrayList<>();

    TestServers(final Path dir) {
        this.dir = dir;
    }

    /** @return a served 8 MiB dma-engine whose workload rewrites {@code rate} bytes/s; fault injection on */
    Path dmaEngine(final String name, final long rate) throws IOException, DeviceException {
        return dmaEngine(name, rate, ENGINE_MEMORY);
    }

    /** @return a served dma-engine with {@code memory} bytes of on-device memory; fault injection on */
    Path dmaEngine(final String name, final long rate, final long memory) throws IOException, DeviceException {
        return start(name, new DmaEngine(DmaEngineConfig.ofMemory(memory).withRate(rate)));
    }

    /** @return a served dma-engine with {@code config}; fault injection on */
    Path dmaEngine(final String name, final DmaEngineConfig config) throws IOException, DeviceException {
        return start(name, new DmaEngine(config));
    }

    /** @return a served uart; fault injection on */
    Path uart(final String name) throws IOException {
        return start(name, new Uart());
    }

    private Path start(final String name, final MigratableDevice device)
            throws IOException {
        final VfioUserServer s = VfioUserServer.listen(dir.resolve(name), device,
                ServerConfig.defaults().withFaultInjection(true)).start();
        servers.add(s);
        return s.path();
    }

    /** @return a migration target over a new client of the device at {@code socket} (the caller closes it) */
    static VfioUserMigrationTarget open(final Path socket) throws DeviceException {
        return new VfioUserMigrationTarget(VfioUserClient.connect(socket, ClientOptions.defaults()), () -> { });
    }

    @Override
    public void close() {
        servers.forEach(VfioUserServer::close);
    }
}
