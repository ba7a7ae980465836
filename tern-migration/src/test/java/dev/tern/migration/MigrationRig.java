package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.migration.channel.MigrationListener;
import dev.tern.migration.channel.Session;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.samples.Uart;
import dev.tern.vmm.GuestMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/** A source and a destination (one dma-engine, one uart, guest memory each) in one process, over loopback TCP. */
final class MigrationRig implements AutoCloseable {

    final GuestMemory sourceMemory;
    final GuestMemory destMemory;
    final List<DmaEngine> sourceEngines = new ArrayList<>();
    final List<Uart> sourceUarts = new ArrayList<>();
    final List<MigratingDevice> source = new ArrayList<>();
    final List<MigratingDevice> destination = new ArrayList<>();
    final MigrationListener listener;
    final AtomicReference<Session> destSession = new AtomicReference<>();
    private final List<AutoCloseable> open = new ArrayList<>();

    MigrationRig(final long deviceMemory, final long guestMemory, final long destDeviceMemory) throws Exception {
        this(deviceMemory, guestMemory, destDeviceMemory, false);
    }

    /** @param swapDestination give the destination its devices in the other order (an incompatible layout) */
    MigrationRig(final long deviceMemory, final long guestMemory, final long destDeviceMemory,
            final boolean swapDestination) throws Exception {
        this(deviceMemory, guestMemory, destDeviceMemory, swapDestination, c -> c);
    }

    /** @param sourceEngine adjusts the source dma-engine's config (e.g. to re-initialise mid-pre-copy) */
    MigrationRig(final long deviceMemory, final long guestMemory, final long destDeviceMemory,
            final boolean swapDestination, final java.util.function.UnaryOperator<DmaEngineConfig> sourceEngine)
            throws Exception {
        sourceMemory = add(GuestMemory.create("rig-source", guestMemory));
        destMemory = add(GuestMemory.create("rig-destination", guestMemory));
        devices(source, sourceMemory, sourceEngine.apply(DmaEngineConfig.ofMemory(deviceMemory).withRate(0)), true);
        devices(destination, destMemory, DmaEngineConfig.ofMemory(destDeviceMemory).withRate(0), false);
        if (swapDestination) {
            java.util.Collections.reverse(destination);
        }
        // Some guest content so memory checksums mean something.
        final MemorySegment seg = sourceMemory.segment();
        for (long off = 0; off < guestMemory; off += 4096) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_LONG, off, off * 0x9E3779B97F4A7C15L);
        }
        listener = add(MigrationListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Optional.empty()));
    }

    private void devices(final List<MigratingDevice> out, final GuestMemory memory, final DmaEngineConfig config,
            final boolean keep) throws DeviceException {
        final DmaEngine engine = add(new DmaEngine(config));
        engine.dma().mapMemory(0, memory.segment(), true, false);
        final MigrationEngine e = add(MigrationEngine.of(engine));
        out.add(LocalDevices.describe("dma-engine0", engine, e));
        final Uart uart = add(new Uart());
        uart.injectRx("state to migrate".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        final MigrationEngine u = add(MigrationEngine.of(uart));
        out.add(LocalDevices.describe("uart0", uart, u));
        if (keep) {
            sourceEngines.add(engine);
            sourceUarts.add(uart);
        }
    }

    /** Starts the destination; the future completes with its result or its failure. */
    CompletableFuture<DestinationMigration.Result> receive(final MigrationOptions options,
            final java.util.function.Consumer<Phase> phases) {
        return receive(options, phases, e -> { });
    }

    /** {@link #receive(MigrationOptions, java.util.function.Consumer)}, the destination's events to {@code events}. */
    CompletableFuture<DestinationMigration.Result> receive(final MigrationOptions options,
            final java.util.function.Consumer<Phase> phases,
            final java.util.function.Consumer<MigrationEvent> events) {
        final DestinationMigration d = new DestinationMigration(destination, destMemory, options, System::nanoTime);
        d.onPhase(phases);
        d.onEvent(events);
        return CompletableFuture.supplyAsync(() -> {
            try {
                final Session s = listener.accept(options.timeout());
                destSession.set(s);
                return d.receive(s);
            } catch (final IOException | MigrationFailedException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    /** Kills the destination as a process death would: every one of its sockets closes at once. */
    void killDestination() {
        final Session s = destSession.get();
        if (s != null) {
            s.control().abort();
            s.data().forEach(c -> c.abort());
        }
        listener.close();
    }

    long[] sourceChecksums() throws DeviceException {
        final long[] sums = new long[source.size() + 1];
        for (int i = 0; i < source.size(); i++) {
            sums[i] = source.get(i).target().checksum();
        }
        sums[source.size()] = sourceMemory.checksum();
        return sums;
    }

    private <T extends AutoCloseable> T add(final T t) {
        open.add(t);
        return t;
    }

    @Override
    public void close() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (final Exception e) {
                // test cleanup
            }
        }
    }
}
