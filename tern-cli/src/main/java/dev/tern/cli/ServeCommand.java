package dev.tern.cli;

import dev.tern.device.DeviceCatalog;
import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceException;
import dev.tern.device.DeviceFactory;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.samples.Uart;
import dev.tern.samples.UartLine;
import dev.tern.vfiouser.codec.Version;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tern serve --device NAME --socket PATH}: hosts a device of the catalogue ({@link DeviceCatalog}: the samples
 * uart and dma-engine, and any {@link DeviceFactory} on the class path) on a vfio-user socket (mode 0600)
 * until SIGINT, or until standard input ends when it is not {@code /dev/null} and not the uart's console (so
 * {@code tern serve … &} in a script keeps running, and a parent process can stop it by closing its stdin). The
 * uart's serial line goes to {@code --console} ({@link UartLine} paces it at the guest's baud rate).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Host a device on a vfio-user socket, one client at a time.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--device", required = true, paramLabel = "NAME",
            description = "The device: uart, dma-engine, or another device factory on the class path.")
    String device;

    @Option(names = "--socket", required = true, paramLabel = "PATH",
            description = "Where to listen (created with mode 0600; a stale socket file is replaced).")
    Path socket;

    @Option(names = "--memory", defaultValue = "64MiB", converter = Sizes.class, paramLabel = "SIZE",
            description = "dma-engine on-device memory, a multiple of 4 KiB (default: ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--fault-injection",
            description = "Offer the Tern test hook FAIL_NEXT_ARC (for tern check --socket); off by default.")
    boolean faultInjection;

    // ---- uart host side and logging (issue 10) ----

    @Option(names = "--console", defaultValue = "none", paramLabel = "BACKEND",
            description = "uart: the far end of the serial line, as QEMU's -chardev: none (output discarded), stdio, "
                    + "pty (its path is printed), file:PATH (output only) or unix:PATH (Tern listens; one client at "
                    + "a time). Default: "
                    + "${DEFAULT-VALUE}.")
    String console;

    @Option(names = "--log-level", defaultValue = "info", paramLabel = "LEVEL",
            description = "error, warn, info (sessions, error replies, failed DMA), debug or trace. Default: "
                    + "${DEFAULT-VALUE}.")
    String logLevel;

    @Option(names = "--json-log", description = "Log one JSON object per line on stderr instead of text.")
    boolean jsonLog;

    // ----

    // --- slot holding (issue 9 item 5): nobody keeps the one client slot by stalling ---
    @Option(names = "--handshake-timeout", defaultValue = "10", paramLabel = "SEC",
            description = "Seconds a new connection has to deliver its VERSION (default: ${DEFAULT-VALUE}).")
    long handshakeTimeoutSec;

    @Option(names = "--message-timeout", defaultValue = "10", paramLabel = "SEC",
            description = "Seconds one message may take to arrive once begun; a client idle between messages is kept"
                    + " (default: ${DEFAULT-VALUE}).")
    long messageTimeoutSec;

    private ServerConfig config() {
        if (handshakeTimeoutSec < 1 || handshakeTimeoutSec > 3600 || messageTimeoutSec < 1
                || messageTimeoutSec > 3600) {
            throw new CliException("--handshake-timeout and --message-timeout must be 1..3600 seconds");
        }
        return ServerConfig.defaults().withFaultInjection(faultInjection)
                .withDeadlines(Duration.ofSeconds(handshakeTimeoutSec), Duration.ofSeconds(messageTimeoutSec));
    }
    // --- end of slot holding ---

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final ServerConfig config = config();
        final java.util.logging.Level level = ServeLog.level(logLevel);
        final MigratableDevice served = create();
        if (!console.equals("none") && !(served instanceof Uart)) {
            throw new CliException("--console applies to the uart only");
        }
        final Console line = Console.open(console);
        ServeLog.install(level, jsonLog, System.err);
        final UartLine uartLine = served instanceof Uart u ? UartLine.start(u, line.in(), line.out()) : null;
        final VfioUserServer server;
        try {
            server = VfioUserServer.listen(socket, served, config);
        } catch (final IOException e) {
            throw new CliException("cannot listen on " + socket + ": " + e.getMessage());
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            server.close();
            stop.countDown();
        }, "tern-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.start();
        final PrintWriter out = spec.commandLine().getOut();
        out.printf("tern: serving %s on %s (vfio-user %d.%d, pid %d)%n", device, server.path(), Version.MAJOR,
                Version.MINOR, ProcessHandle.current().pid());
        if (uartLine != null && !console.equals("none")) {
            out.printf("tern: uart console on %s%n", line.describe());
        }
        out.flush();
        if (!stdinIsDevNull() && !console.equals("stdio")) {
            Thread.ofPlatform().daemon().name("tern-serve-stdin").start(() -> {
                drain(System.in);
                stop.countDown();
            });
        }
        stop.await();
        server.close();
        if (uartLine != null) {
            uartLine.close();
        }
        line.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // shutting down already: the hook closes the server
        }
        return 0;
    }

    private MigratableDevice create() {
        try {
            final DeviceFactory factory = DeviceCatalog.find(device).orElseThrow(() -> new CliException(
                    "unknown device '" + device + "' (known: " + String.join(", ", DeviceCatalog.names()) + ")"));
            return factory.create(DeviceConfig.ofMemory(memory));
        } catch (final DeviceException | IllegalArgumentException e) {
            throw new CliException(device + ": " + e.getMessage());
        }
    }

    private static boolean stdinIsDevNull() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString().equals("/dev/null");
        } catch (final IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static void drain(final InputStream in) {
        final byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // discard: only the end of input matters
            }
        } catch (final IOException e) {
            // a broken stdin counts as its end
        }
    }
}
