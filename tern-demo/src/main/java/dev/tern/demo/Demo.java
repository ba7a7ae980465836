package dev.tern.demo;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.migration.DestinationMigration;
import dev.tern.vmm.GuestMemory;
import dev.tern.migration.LocalDevices;
import dev.tern.migration.MigratingDevice;
import dev.tern.migration.MigrationFailedException;
import dev.tern.migration.MigrationOptions;
import dev.tern.migration.MigrationReport;
import dev.tern.migration.SourceMigration;
import dev.tern.migration.channel.MigrationListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * The README's main job in one process: a source with dma-engine(s) and a uart, a guest writing memory and driving
 * the devices, a destination with fresh devices, and a live migration between them over loopback TCP.
 */
public final class Demo {
    private Demo() {
    }

    /**
     * Runs one demo migration and returns the source's report.
     *
     * @param config devices, memory sizes and workload
     * @param options how to migrate
     * @param progress receives the source's progress lines
     * @return the source's report
     * @throws IOException if the loopback connection or guest memory cannot be set up
     * @throws DeviceException if a device cannot be created or programmed
     * @throws MigrationFailedException if the migration failed
     */
    public static MigrationReport run(final DemoConfig config, final MigrationOptions options,
            final Consumer<String> progress) throws IOException, DeviceException, MigrationFailedException {
        return run(config, options, progress, e -> { });
    }

    /**
     * As {@link #run(DemoConfig, MigrationOptions, Consumer)}, giving the source's events to {@code events}.
     *
     * @param config devices, memory sizes and workload
     * @param options how to migrate
     * @param progress receives the source's progress lines
     * @param events receives the source's events
     * @return the source's report
     * @throws IOException if the loopback connection or guest memory cannot be set up
     * @throws DeviceException if a device cannot be created or programmed
     * @throws MigrationFailedException if the migration failed
     */
    public static MigrationReport run(final DemoConfig config, final MigrationOptions options,
            final Consumer<String> progress, final Consumer<dev.tern.migration.MigrationEvent> events)
            throws IOException, DeviceException, MigrationFailedException {
        final List<AutoCloseable> open = new ArrayList<>();
        try {
            final GuestMemory sourceMemory = track(open, GuestMemory.create("tern-demo-source", config.guestMemory()));
            final GuestMemory destMemory = track(open, GuestMemory.create("tern-demo-destination",
                    config.guestMemory()));
            final List<DmaEngine> engines = new ArrayList<>();
            final List<Uart> uarts = new ArrayList<>();
            final List<MigratingDevice> source = devices(config, sourceMemory, open, engines, uarts);
            final List<MigratingDevice> destination = devices(config, destMemory, open, new ArrayList<>(),
                    new ArrayList<>());

            final GuestWorkload guest = new GuestWorkload(sourceMemory, engines, uarts,
                    config.rate(config.deviceMemory()), config.seed());
            guest.start();
            open.add(guest::pause);
            progress.accept(String.format("source: %d dma-engine(s) with %d MiB each, a uart, %d MiB guest memory,"
                    + " dirtying %s", config.engines(), config.deviceMemory() >> 20,
                    config.guestMemory() >> 20, config.dirtyRate()));

            final MigrationListener listener = track(open, MigrationListener.bind(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty()));
            final DestinationMigration receiver = new DestinationMigration(destination, destMemory, options,
                    System::nanoTime);
            final CompletableFuture<DestinationMigration.Result> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return receiver.receive(listener.accept(options.timeout()));
                } catch (final IOException | MigrationFailedException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
            final SourceMigration migration = new SourceMigration(source, sourceMemory, guest, options,
                    System::nanoTime);
            migration.onProgress(progress);
            migration.onEvent(events);
            final MigrationReport report;
            try {
                report = AbortOnExit.run(migration, () -> migration.migrate(listener.address(), Optional.empty()));
            } catch (final MigrationFailedException e) {
                // The source only sees a closed connection when the destination fails; say what it saw.
                final String why = destinationFailure(received);
                throw why == null ? e : new MigrationFailedException(e.phase(), e.sourceRecovered(),
                        e.getMessage() + " (destination: " + why + ")", e);
            }
            final String why = destinationFailure(received);
            if (why != null) {
                throw new IOException("destination: " + why);
            }
            final DestinationMigration.Result dest = received.join();
            progress.accept(String.format(java.util.Locale.ROOT, "destination: load %.1f ms, checksums %.1f ms"
                    + " (both inside the downtime)", dest.applyMs(), dest.verifyMs()));
            return report;
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (final Exception e) {
                    // Best effort: everything here is process-local and ends with the demo.
                }
            }
        }
    }

    private static String destinationFailure(final CompletableFuture<DestinationMigration.Result> received) {
        try {
            received.get(5, java.util.concurrent.TimeUnit.SECONDS);
            return null;
        } catch (final ExecutionException e) {
            return e.getCause().getMessage();
        } catch (final InterruptedException | java.util.concurrent.TimeoutException e) {
            return "no answer";
        }
    }

    private static List<MigratingDevice> devices(final DemoConfig config, final GuestMemory memory,
            final List<AutoCloseable> open, final List<DmaEngine> engines, final List<Uart> uarts)
            throws DeviceException {
        final List<MigratingDevice> devices = new ArrayList<>();
        for (int i = 0; i < config.engines(); i++) {
            final DmaEngine engine = new DmaEngine(DmaEngineConfig.ofMemory(config.deviceMemory()).withRate(0));
            open.add(engine);
            engine.dma().mapMemory(0, memory.segment(), true, false);
            final MigrationEngine target = MigrationEngine.of(engine);
            open.add(target);
            engines.add(engine);
            devices.add(LocalDevices.describe("dma-engine" + i, engine, target));
        }
        final Uart uart = new Uart();
        open.add(uart);
        final MigrationEngine target = MigrationEngine.of(uart);
        open.add(target);
        uarts.add(uart);
        devices.add(LocalDevices.describe("uart0", uart, target));
        return devices;
    }

    private static <T extends AutoCloseable> T track(final List<AutoCloseable> open, final T resource) {
        open.add(resource);
        return resource;
    }
}
