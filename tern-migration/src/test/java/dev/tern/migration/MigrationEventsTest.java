package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.protocol.MigrationState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The operator's event stream: QMP's vocabulary, in order, for a completed and a failed migration. */
class MigrationEventsTest {

    private static final long MIB = 1 << 20;
    private static final MigrationOptions OPTIONS = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));
    private static final Set<String> QEMU_STATUS = Set.of("setup", "active", "pre-switchover", "device",
            "completed", "failed", "cancelled");
    private static final Set<String> QEMU_DEVICE_STATE = Set.of("running", "stop", "stop-copy", "resuming",
            "running-p2p", "pre-copy", "pre-copy-p2p");

    @ParameterizedTest
    @EnumSource(Phase.class)
    void everyPhaseHasAQemuStatus(final Phase phase) {
        assertThat(MigrationEvent.Status.of(phase).status()).isIn(QEMU_STATUS);
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = "ERROR", mode = EnumSource.Mode.EXCLUDE)
    void everyDeviceStateHasAQemuName(final MigrationState state) {
        assertThat(new MigrationEvent.DeviceState("d", state).qemuName()).isIn(QEMU_DEVICE_STATE);
    }

    @Test
    void linesAreQmpShaped() {
        final StringWriter out = new StringWriter();
        final EventLog log = new EventLog(new PrintWriter(out), Clock.fixed(Instant.ofEpochSecond(1_767_000_000L,
                123_456_789), ZoneOffset.UTC));
        log.accept(new MigrationEvent.Status("active"));
        log.accept(new MigrationEvent.DeviceState("gpu0", MigrationState.PRE_COPY_P2P));
        log.accept(new MigrationEvent.Downtime(12.5, Double.NaN));
        assertThat(out.toString().lines().toList()).containsExactly(
                "{\"timestamp\":{\"seconds\":1767000000,\"microseconds\":123456},\"event\":\"MIGRATION\","
                        + "\"data\":{\"status\":\"active\"}}",
                "{\"timestamp\":{\"seconds\":1767000000,\"microseconds\":123456},\"event\":\"VFIO_MIGRATION\","
                        + "\"data\":{\"device-id\":\"gpu0\",\"device-state\":\"pre-copy-p2p\"}}",
                "{\"timestamp\":{\"seconds\":1767000000,\"microseconds\":123456},\"event\":\"TERN_MIGRATION_DOWNTIME\","
                        + "\"data\":{\"downtime-ms\":12.500,\"downtime-estimate-ms\":null}}");
    }

    @Test
    void aCompletedMigrationWalksQemusStatusesAndReportsEveryDeviceArc() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> { });
            final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, MigrationClock.SYSTEM);
            m.onEvent(events::add);
            m.migrate(rig.listener.address(), Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            assertThat(statuses(events)).containsExactly("setup", "active", "pre-switchover", "device", "completed");
            assertThat(states(events, "dma-engine0")).containsExactly("pre-copy", "pre-copy-p2p", "stop-copy", "stop");
            assertThat(states(events, "uart0")).containsExactly("running-p2p", "stop-copy", "stop");
            assertThat(events).filteredOn(e -> e instanceof MigrationEvent.Round).isNotEmpty();
            assertThat(events).filteredOn(e -> e instanceof MigrationEvent.Downtime).hasSize(1);
        }
    }

    @Test
    void aFailedMigrationEndsWithFailedAndTheDevicesRunningAgain() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            rig.receive(OPTIONS, p -> {
                if (p == Phase.LOAD) {
                    throw new IllegalStateException("load failed on purpose");
                }
            });
            final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, MigrationClock.SYSTEM);
            m.onEvent(events::add);
            assertThatThrownBy(() -> m.migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOf(MigrationFailedException.class);
            assertThat(statuses(events)).endsWith("failed").doesNotContain("completed");
            assertThat(states(events, "dma-engine0")).last().isEqualTo("running");
            assertThat(states(events, "uart0")).last().isEqualTo("running");
        }
    }

    @Test
    void theDestinationReportsItsStatusesAndEveryDeviceStateAsReadBack() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> { }, events::add);
            new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE, OPTIONS,
                    MigrationClock.SYSTEM).migrate(rig.listener.address(), Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            assertThat(statuses(events)).containsExactly("setup", "active", "device", "completed");
            for (final String device : List.of("dma-engine0", "uart0")) {
                assertThat(states(events, device)).containsExactly("resuming", "stop", "running-p2p", "running");
            }
            assertThat(events.getLast()).isEqualTo(new MigrationEvent.Status("completed"));
        }
    }

    @Test
    void aDestinationThatFailsReportsItsDevicesResetAndFailed() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> {
                if (p == Phase.LOAD) {
                    throw new IllegalStateException("load failed on purpose");
                }
            }, events::add);
            assertThatThrownBy(() -> new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, MigrationClock.SYSTEM).migrate(rig.listener.address(), Optional.empty()))
                    .isInstanceOf(MigrationFailedException.class);
            assertThatThrownBy(() -> dest.get(10, TimeUnit.SECONDS)).hasMessageContaining("load failed on purpose");
            assertThat(statuses(events)).containsExactly("setup", "active", "failed");
            assertThat(states(events, "dma-engine0")).containsExactly("resuming", "running");
            assertThat(states(events, "uart0")).containsExactly("resuming", "running");
        }
    }

    private static List<String> statuses(final List<MigrationEvent> events) {
        return events.stream().filter(e -> e instanceof MigrationEvent.Status)
                .map(e -> ((MigrationEvent.Status) e).status()).toList();
    }

    private static List<String> states(final List<MigrationEvent> events, final String device) {
        return events.stream().filter(e -> e instanceof MigrationEvent.DeviceState d && d.device().equals(device))
                .map(e -> ((MigrationEvent.DeviceState) e).qemuName()).toList();
    }
}
