package org.example.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.PciConfigSpace;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.EventFd;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vmm.DeviceSide;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs each serve a {@link CounterDevice} over vfio-user; this test is the VMM (Tern's VMM library opens each
 * socket as a migrating device with guest memory mapped): it lets the source count, moves its state to the fresh
 * destination through the migration protocol, and checks the destination carries on.
 */
class TwoProcessMigrationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ClientOptions OPTIONS = ClientOptions.defaults().withReplyTimeout(WAIT);
    /** Guest memory each side maps into its device (the counter does no DMA, a VMM maps it anyway). */
    private static final long GUEST = 1 << 20;
    private final List<Process> processes = new ArrayList<>();
    @TempDir
    Path dir;

    @Test
    void migratesACountingDeviceBetweenTwoProcesses() throws Exception {
        try (DeviceSide source = DeviceSide.openSockets(List.of(serve("src")), GUEST, DeviceSide.Role.SOURCE, OPTIONS);
                DeviceSide destination = DeviceSide.openSockets(List.of(serve("dst")), GUEST,
                        DeviceSide.Role.DESTINATION, OPTIONS)) {
            final VfioUserMigrationTarget src = target(source);
            final VfioUserMigrationTarget dst = target(destination);
            final VfioUserClient s = src.client();
            s.writeRegion(RegionInfo.PCI_CONFIG, PciConfigSpace.COMMAND, new byte[] {PciConfigSpace.COMMAND_MEMORY, 0});
            write(s, CounterDevice.STEP, 3);
            write(s, 0x10, 0xCAFE);
            write(s, 0x1C, 0xF00D);
            write(s, CounterDevice.CTRL, 1);
            awaitCount(s, 300);

            final MigrationStream out = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final byte[] regsAtStop = s.readRegion(RegionInfo.PCI_BAR0, 0, 32);
            final byte[] configAtStop = s.readRegion(RegionInfo.PCI_CONFIG, 0, PciConfigSpace.SIZE);
            final byte[] state = drain(out);
            assertThat(s.readRegion(RegionInfo.PCI_BAR0, 0, 32)).as("frozen in STOP_COPY").isEqualTo(regsAtStop);

            final MigrationStream in = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            in.write(ByteBuffer.wrap(state));
            dst.setState(MigrationState.STOP);
            final VfioUserClient d = dst.client();
            assertThat(d.readRegion(RegionInfo.PCI_BAR0, 0, 32)).isEqualTo(regsAtStop);
            assertThat(d.readRegion(RegionInfo.PCI_CONFIG, 0, PciConfigSpace.SIZE)).isEqualTo(configAtStop);
            assertThat(src.setState(MigrationState.STOP).reached()).isEqualTo(MigrationState.STOP);
            assertThat(dst.setState(MigrationState.RUNNING).reached()).isEqualTo(MigrationState.RUNNING);
            assertThat(src.queryState()).isEqualTo(MigrationState.STOP);
            assertThat(dst.queryState()).isEqualTo(MigrationState.RUNNING);
            assertThat(read(d, 0x10)).isEqualTo(0xCAFE);

            final int atStop = ByteBuffer.wrap(regsAtStop).order(ByteOrder.LITTLE_ENDIAN).getInt(CounterDevice.COUNT);
            assertThat(atStop % 3).isZero();
            awaitCount(d, atStop + 30);
            try (EventFd irq = EventFd.create()) {
                d.setIrqEventfds(0, 0, List.of(irq));
                write(d, CounterDevice.ALARM, read(d, CounterDevice.COUNT) + 60);
                assertThat(irq.consume(WAIT)).as("INTx after COUNT passed ALARM").isEqualTo(1);
            }
            assertThat(read(s, CounterDevice.COUNT)).as("the source stays stopped").isEqualTo(atStop);
        }
    }

    /** Starts {@code Main} in a new JVM, on the module path, and waits (bounded) until it listens. */
    private Path serve(final String name) throws Exception {
        final Path socket = dir.resolve(name + ".sock");
        final String modulePath = System.getProperty("example.classes") + java.io.File.pathSeparator
                + Files.readString(Path.of(System.getProperty("example.classpath.file"))).strip();
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=dev.tern.sys", "--module-path", modulePath,
                "--module", "org.example.counter/" + Main.class.getName(), socket.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(p);
        final BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream()));
        final String first = CompletableFuture.supplyAsync(() -> {
            try {
                return lines.readLine();
            } catch (final java.io.IOException e) {
                return "read failed: " + e.getMessage();
            }
        }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(first).isEqualTo("listening " + socket);
        return socket;
    }

    /** The side's one device: a vfio-user target, whose client also does REGION_READ/WRITE and IRQ set-up. */
    private static VfioUserMigrationTarget target(final DeviceSide side) {
        return (VfioUserMigrationTarget) side.devices().getFirst().target();
    }

    private static byte[] drain(final MigrationStream stream) throws Exception {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(4096);
        for (int n = 0; n != -1; n = stream.read(buf.clear())) {
            all.write(buf.array(), 0, n);
            assertThat(all.size()).as("stream bytes").isLessThan(1 << 20);
        }
        return all.toByteArray();
    }

    private static void awaitCount(final VfioUserClient c, final int atLeast) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (Integer.compareUnsigned(read(c, CounterDevice.COUNT), atLeast) < 0) {
            assertThat(System.nanoTime() - deadline).as("COUNT reaching " + atLeast).isNegative();
            Thread.sleep(5);
        }
    }

    private static int read(final VfioUserClient c, final int reg) throws Exception {
        return ByteBuffer.wrap(c.readRegion(RegionInfo.PCI_BAR0, reg, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private static void write(final VfioUserClient c, final int reg, final int value) throws Exception {
        c.writeRegion(RegionInfo.PCI_BAR0, reg, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value)
                .array());
    }

    @AfterEach
    void stopServers() throws InterruptedException {
        for (final Process p : processes) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
