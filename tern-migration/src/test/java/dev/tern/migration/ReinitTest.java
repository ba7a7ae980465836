package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A device that re-initialises mid-pre-copy (PRECOPY_INFOv2 REINIT): its new initial data is sent, the destination
 * acknowledges it a second time, and only then does the migration switch over; the result is verified.
 */
class ReinitTest {

    private static final long MIB = 1 << 20;
    private static final MigrationOptions OPTIONS = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));

    @Test
    void theSwitchoverWaitsForTheAckOfTheReinitialisedDataAndTheMigrationIsVerified() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB, false, c -> c.withReinitAfter(4 * MIB))) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> { });
            final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
            final List<String> progress = Collections.synchronizedList(new ArrayList<>());
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, MigrationClock.SYSTEM);
            m.onEvent(events::add);
            m.onProgress(progress::add);
            final MigrationReport report = m.migrate(rig.listener.address(), Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            assertReinitAckedBeforeSwitchover(events, "dma-engine0");
            assertThat(progress).anyMatch(l -> l.contains("dma-engine0: new initial data (REINIT"));
            assertThat(report.verified()).as(report.toString()).isTrue();
            // The device's pre-copy carried its memory twice (the initial pass and the re-initialised one).
            assertThat(report.devices().getFirst().precopyBytes()).isGreaterThan(8 * MIB);
        }
    }

    @Test
    void withoutReinitADeviceIsAcknowledgedOnce() throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 4 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> { });
            final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, MigrationClock.SYSTEM);
            m.onEvent(events::add);
            m.migrate(rig.listener.address(), Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            assertThat(events).filteredOn(e -> e instanceof MigrationEvent.Reinit).isEmpty();
            assertThat(events).filteredOn(e -> e instanceof MigrationEvent.SwitchoverAck a
                    && a.device().equals("dma-engine0")).hasSize(1);
        }
    }

    /** REINIT, then the device's second ack, then (only then) pre-switchover. */
    static void assertReinitAckedBeforeSwitchover(final List<MigrationEvent> events, final String device) {
        final List<MigrationEvent> seen = List.copyOf(events);
        final int reinit = indexOf(seen, e -> e instanceof MigrationEvent.Reinit r && r.device().equals(device));
        final int secondAck = indexOf(seen, e -> e instanceof MigrationEvent.SwitchoverAck a
                && a.device().equals(device) && a.count() == 2);
        final int switchover = indexOf(seen, e -> e instanceof MigrationEvent.Status s
                && s.status().equals("pre-switchover"));
        assertThat(reinit).as("REINIT event in %s", seen).isNotNegative();
        assertThat(secondAck).as("second switchover-ack in %s", seen).isNotNegative();
        assertThat(switchover).as("pre-switchover in %s", seen).isGreaterThan(secondAck);
        assertThat(switchover).isGreaterThan(reinit);
    }

    private static int indexOf(final List<MigrationEvent> events,
            final java.util.function.Predicate<MigrationEvent> p) {
        for (int i = 0; i < events.size(); i++) {
            if (p.test(events.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
