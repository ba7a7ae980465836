package dev.tern.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.device.DeviceException;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.conformance.CheckResult;
import dev.tern.conformance.ConformanceKit;
import dev.tern.conformance.Subject;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.protocol.MigrationState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guide's large-state device: the kit with its pre-copy checks, and a pre-copy migration while it writes. */
class LogDeviceTest {

    @Test
    void passesTheKitWithPreCopy() {
        final List<CheckResult> results = ConformanceKit.run(
                Subject.ofEngines("log", () -> MigrationEngine.of(newDevice())));
        assertThat(results).filteredOn(r -> !r.passed()).isEmpty();
        assertThat(results).filteredOn(r -> !r.skipped() && r.name().contains("PRE_COPY")).isNotEmpty();
    }

    @Test
    void migratesWithPreCopyWhileTheDeviceWrites() throws Exception {
        final LogDevice source = new LogDevice();
        final LogDevice destination = new LogDevice();
        try (MigrationEngine src = MigrationEngine.of(source); MigrationEngine dst = MigrationEngine.of(destination)) {
            source.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                    CrcDeviceTest.le16(PciConfigSpace.COMMAND_MEMORY));
            final Region bar0 = source.regions().get(RegionInfo.PCI_BAR0);
            bar0.write(LogDevice.CTRL, CrcDeviceTest.le32(1));
            awaitHead(bar0, 50);

            final long rounds = precopy(src, dst);
            final int headAtStop = ByteBuffer.wrap(source.saveRegisters()).order(ByteOrder.LITTLE_ENDIAN)
                    .getInt(PciConfigSpace.SIZE + LogDevice.HEAD);   // the registers are frozen to the guest now
            assertThat(rounds).as("pre-copy rounds").isGreaterThanOrEqualTo(2);
            assertThat(dst.checksum()).isEqualTo(src.checksum());
            dst.setState(MigrationState.RUNNING);

            final Region moved = destination.regions().get(RegionInfo.PCI_BAR0);
            assertThat(CrcDeviceTest.read(moved, LogDevice.HEAD)).isGreaterThanOrEqualTo(headAtStop);
            final ByteBuffer last = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            destination.regions().get(2).read((long) (headAtStop - 1) * 4096 % LogDevice.MEMORY, last);
            assertThat(last.getLong(0)).isEqualTo(headAtStop);
            awaitHead(moved, headAtStop + 20);
        }
    }

    // tag::precopy[]
    /** A VMM's pre-copy: rounds while the source runs, then the rest while it is stopped. */
    static long precopy(final MigrationEngine src, final MigrationEngine dst) throws DeviceException {
        final MigrationStream out = src.setState(MigrationState.PRE_COPY).stream().orElseThrow();
        final MigrationStream in = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
        final ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        long rounds = 0;
        PrecopyInfo info = src.precopyInfo();
        // at least two rounds; then until little is left, or 20 rounds for a device that dirties faster than that
        while (rounds < 2 || (rounds < 20 && info.initialBytes() + info.dirtyBytes() > 64 * 4096)) {
            for (int n = out.read(chunk.clear()); n > 0; n = out.read(chunk.clear())) {   // 0: nothing more now
                in.write(chunk.flip());
            }
            rounds++;
            info = src.precopyInfo();
        }
        src.setState(MigrationState.STOP_COPY);   // the device stops; the same stream goes on
        for (int n = out.read(chunk.clear()); n != -1; n = out.read(chunk.clear())) {
            in.write(chunk.flip());
        }
        dst.setState(MigrationState.STOP);
        src.setState(MigrationState.STOP);
        return rounds;
    }
    // end::precopy[]

    private static LogDevice newDevice() throws DeviceException {
        return new LogDevice();
    }

    private static void awaitHead(final Region bar0, final int head) throws Exception {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (CrcDeviceTest.read(bar0, LogDevice.HEAD) < head) {
            assertThat(System.nanoTime() - deadline).as("HEAD " + head + " within 10 s").isNegative();
            Thread.sleep(1);
        }
    }
}
