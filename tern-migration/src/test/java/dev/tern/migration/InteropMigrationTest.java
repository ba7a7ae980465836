package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.samples.Uart;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Migrations whose devices offer only what plain vfio-user offers ({@link PlainVfioUserTarget}), and what recovery
 * reports, over loopback TCP between in-process devices.
 */
class InteropMigrationTest {

    private static final long MIB = 1 << 20;
    private static final MigrationOptions OPTIONS = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));
    /** dma-engine BAR0 register: background mutation rate, bytes/s. */
    private static final int RATE = 0x48;

    @Test
    void precopyWithoutPrecopyInfoConvergesOnWhatTheStreamShows() throws Exception {
        try (MigrationRig rig = new MigrationRig(8 * MIB, 4 * MIB, 8 * MIB)) {
            final List<PlainVfioUserTarget> plain = plain(rig.source, true);
            plain(rig.destination, true);
            setRate(rig, 4 * MIB); // the engine dirties its memory all through pre-copy
            final MigrationReport report = migrate(rig);

            assertThat(report.verified()).isTrue();
            assertThat(report.rounds()).as("converged before the round limit").isBetween(2, OPTIONS.maxRounds() - 1);
            assertThat(report.devices().get(0).precopyBytes()).isGreaterThanOrEqualTo(8 * MIB);
            assertThat(report.roundStats().get(report.rounds() - 1).remainingBytes())
                    .isLessThan(report.roundStats().get(0).remainingBytes());
            for (final PlainVfioUserTarget t : plain) {
                assertThat(t.unofferedCalls).as("PRECOPY_INFO / MIG_DATA_SIZE asked of a device without them")
                        .hasValue(0);
            }
        }
    }

    @Test
    void devicesWithoutChecksumAreReportedNotVerifiableAndMemoryIsStillVerified() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            plain(rig.source, false);
            plain(rig.destination, true);
            final MigrationReport report = migrate(rig);

            assertThat(report.verified()).isNull();
            assertThat(report.verification().memory().status()).isEqualTo(Verification.Status.VERIFIED);
            assertThat(report.verification().devices()).allSatisfy(c -> {
                assertThat(c.status()).isEqualTo(Verification.Status.NOT_VERIFIABLE);
                assertThat(c.detail()).startsWith("no state checksum on the source (");
            });
            assertThat(report.toJson()).startsWith("{\"verified\":null,")
                    .contains("\"memory_verification\":\"verified\"", "\"verification\":\"not verifiable\"");
        }
    }

    /**
     * Found against mtty on Debian 6.12: START accepted, REPORT EOPNOTSUPP. A device declaring logging unavailable is
     * never asked to log; the guest memory is re-sent whole at switchover and arrives intact although the device
     * keeps DMA-writing it during pre-copy.
     */
    @Test
    void devicesWhoseDmaLoggingIsUnavailableMigrateWithMemoryResentWhole() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final List<PlainVfioUserTarget> source = plain(rig.source, true, false);
            plain(rig.destination, true, false);
            setRate(rig, 4 * MIB);
            final MigrationReport report = migrate(rig);

            assertThat(report.verified()).isTrue();
            assertThat(report.verification().memory().status()).isEqualTo(Verification.Status.VERIFIED);
            assertThat(source).allSatisfy(t -> assertThat(t.unofferedCalls.get()).isZero());
        }
    }

    @Test
    void verifyRequiredIsRefusedAtTheHandshakeBeforeAnythingMoves() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            plain(rig.destination, false);
            final long[] before = rig.sourceChecksums();
            final MigrationOptions required = OPTIONS.withVerify(VerifyMode.REQUIRED);
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(required, p -> { });
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    required, System::nanoTime);
            final List<Phase> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
            m.onPhase(phases::add);
            assertThatThrownBy(() -> m.migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.phase()).isEqualTo(Phase.HANDSHAKE);
                        assertThat(e.getMessage()).contains("verification required", "device dma-engine0: no state"
                                + " checksum on the destination", "device uart0: no state checksum on the destination");
                        assertThat(e.stateLost()).isFalse();
                    });
            assertThat(phases).containsExactly(Phase.HANDSHAKE);
            assertThatThrownBy(() -> dest.get(10, TimeUnit.SECONDS)).hasMessageContaining("verification required");
            for (final MigratingDevice d : rig.source) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RUNNING);
            }
            for (final MigratingDevice d : rig.destination) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RUNNING);
            }
            assertThat(rig.sourceChecksums()).isEqualTo(before);
        }
    }

    @Test
    void aRecoveryThatFallsBackToResetReportsTheStateLost() throws Exception {
        // 8 MiB of destination device memory against 4: only the load, after the source froze, can tell.
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 8 * MIB)) {
            final long engineBefore = rig.source.get(0).target().checksum();
            ((MigrationEngine) rig.source.get(1).target()).failNextArc(Arc.STOP_COPY_TO_STOP, Errno.EIO);
            rig.receive(OPTIONS, p -> { });
            assertThatThrownBy(() -> new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS.withPrecopy(false), System::nanoTime).migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                        assertThat(e.sourceDevices()).containsExactly(
                                new SourceOutcome("dma-engine0", MigrationState.RUNNING, false,
                                        SourceOutcome.Integrity.INTACT, ""),
                                new SourceOutcome("uart0", MigrationState.RUNNING, true,
                                        SourceOutcome.Integrity.LOST, e.sourceDevices().get(1).note()));
                        assertThat(e.sourceDevices().get(1).note()).contains("recovery to RUNNING failed",
                                "injected failure");
                        assertThat(e.stateLost()).isTrue();
                        assertThat(e.sourceRecovered()).isTrue();
                        assertThat(e.getMessage()).contains("dma-engine0 running, state intact",
                                "uart0 running after reset, state LOST").doesNotContain("uart0 running, state intact");
                    });
            // What the report says is what happened: the uart is back to its power-on state (its received bytes
            // are gone), the engine is untouched.
            try (Uart fresh = new Uart()) {
                assertThat(rig.sourceUarts.get(0).checksum()).isEqualTo(fresh.checksum());
            }
            assertThat(rig.source.get(0).target().checksum()).isEqualTo(engineBefore);
        }
    }

    @Test
    void aDestinationLeftInResumingServesTheNextMigration() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final List<MigrationTarget> inner = rig.destination.stream().map(MigratingDevice::target).toList();
            plain(rig.destination, true);
            // First attempt: the destination fails after its devices entered RESUMING; its reset cannot leave it.
            final CompletableFuture<DestinationMigration.Result> first = rig.receive(OPTIONS, p -> {
                if (p == Phase.PRE_COPY) {
                    throw new IllegalStateException("destination failed on purpose mid-RESUMING");
                }
            });
            assertThatThrownBy(() -> new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, System::nanoTime).migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOf(MigrationFailedException.class);
            assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS))
                    .hasMessageContaining("destination devices after reset: dma-engine0 RESUMING (reset failed: EIO")
                    .hasMessageContaining("uart0 RESUMING (reset failed: EIO");
            for (final MigratingDevice d : rig.destination) {
                assertThat(d.target().state()).isEqualTo(MigrationState.RESUMING);
            }

            final long[] before = rig.sourceChecksums();
            final CompletableFuture<DestinationMigration.Result> second = rig.receive(OPTIONS, p -> { });
            final MigrationReport report = new SourceMigration(rig.source, rig.sourceMemory,
                    SourceMigration.Guest.NONE, OPTIONS, System::nanoTime).migrate(rig.listener.address(),
                    Optional.empty());
            second.get(10, TimeUnit.SECONDS);
            assertThat(report.verified()).isTrue();
            for (int i = 0; i < inner.size(); i++) {
                assertThat(inner.get(i).state()).isEqualTo(MigrationState.RUNNING);
                assertThat(inner.get(i).checksum()).isEqualTo(before[i]);
            }
        }
    }

    /** Runs one migration with the default options: the rig's destination receives, its source migrates. */
    private static MigrationReport migrate(final MigrationRig rig) throws Exception {
        final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> { });
        final MigrationReport report = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                OPTIONS, System::nanoTime).migrate(rig.listener.address(), Optional.empty());
        dest.get(10, TimeUnit.SECONDS);
        return report;
    }

    private static List<PlainVfioUserTarget> plain(final List<MigratingDevice> devices, final boolean checksum) {
        return plain(devices, checksum, true);
    }

    private static List<PlainVfioUserTarget> plain(final List<MigratingDevice> devices, final boolean checksum,
            final boolean dirtyLogging) {
        final List<PlainVfioUserTarget> out = new java.util.ArrayList<>();
        devices.replaceAll(d -> {
            final PlainVfioUserTarget t = new PlainVfioUserTarget(d.target(), checksum, dirtyLogging);
            out.add(t);
            return new MigratingDevice(d.descriptor(), t);
        });
        return out;
    }

    private static void setRate(final MigrationRig rig, final long bytesPerSecond) throws Exception {
        rig.sourceEngines.get(0).regions().get(RegionInfo.PCI_BAR0).write(RATE,
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bytesPerSecond).flip());
    }
}
