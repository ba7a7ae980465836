package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Starts servers on sockets in a temporary directory, for the tests. */
public final class TestServers {
    private TestServers() {
    }

    /** @return a fresh directory for sockets */
    public static Path dir() {
        try {
            final Path dir = Files.createTempDirectory("tern-vfio-user-test");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return a uart served at {@code dir/name} */
    public static VfioUserServer uart(final Path dir, final String name) throws IOException {
        return start(dir.resolve(name), new Uart(), ServerConfig.defaults());
    }

    /** @return an 8 MiB dma-engine served at {@code dir/name}, fault injection enabled */
    public static VfioUserServer dmaEngine(final Path dir, final String name) throws IOException, DeviceException {
        return start(dir.resolve(name), new DmaEngine(DmaEngineConfig.ofMemory(8L << 20)),
                ServerConfig.defaults().withFaultInjection(true));
    }

    /** @return a started server */
    public static VfioUserServer start(final Path socket, final MigratableDevice device, final ServerConfig config)
            throws IOException {
        return VfioUserServer.listen(socket, device, config).start();
    }
}
