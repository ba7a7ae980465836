package dev.tern.migration;

import dev.tern.json.JsonWriter;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Writes {@link MigrationEvent}s as JSON lines shaped like QMP events, so a libvirt/KubeVirt-style manager reads
 * them as it reads QEMU's:
 *
 * <pre>
 * {"timestamp":{"seconds":1767000000,"microseconds":123456},"event":"MIGRATION","data":{"status":"active"}}
 * {"timestamp":{...},"event":"VFIO_MIGRATION","data":{"device-id":"gpu0","device-state":"pre-copy"}}
 * {"timestamp":{...},"event":"TERN_MIGRATION_ROUND","data":{"round":2,"device-bytes":...,"memory-bytes":...,
 *   "dirty-pages":...,"remaining-bytes":...,"ms":...,"downtime-estimate-ms":...}}
 * {"timestamp":{...},"event":"TERN_MIGRATION_DOWNTIME","data":{"downtime-ms":...,"downtime-estimate-ms":...}}
 * </pre>
 *
 * Timestamps are wall-clock time (as QMP's), from the clock given; each line is flushed as written. Thread-safe.
 */
public final class EventLog implements Consumer<MigrationEvent> {

    private final PrintWriter out;
    private final Clock wall;

    /**
     * A log that writes one timestamped line per event.
     *
     * @param out  where the lines go
     * @param wall the wall clock for the timestamps
     */
    public EventLog(final PrintWriter out, final Clock wall) {
        this.out = out;
        this.wall = wall;
    }

    @Override
    public synchronized void accept(final MigrationEvent e) {
        final Instant now = wall.instant();
        out.println("{\"timestamp\":{\"seconds\":" + now.getEpochSecond() + ",\"microseconds\":"
                + now.getNano() / 1000 + "}," + body(e) + "}");
        out.flush();
    }

    /** @return the event's {@code "event":…,"data":{…}} part */
    static String body(final MigrationEvent e) {
        return switch (e) {
            case MigrationEvent.Status s -> event("MIGRATION", "\"status\":" + JsonWriter.quote(s.status()));
            case MigrationEvent.DeviceState d -> event("VFIO_MIGRATION", "\"device-id\":" + JsonWriter.quote(d.device())
                    + ",\"device-state\":" + JsonWriter.quote(d.qemuName()));
            case MigrationEvent.Round r -> event("TERN_MIGRATION_ROUND", "\"round\":" + r.stats().round()
                    + ",\"device-bytes\":" + r.stats().deviceBytes() + ",\"memory-bytes\":" + r.stats().memoryBytes()
                    + ",\"dirty-pages\":" + r.stats().dirtyPages() + ",\"remaining-bytes\":"
                    + r.stats().remainingBytes() + ",\"ms\":" + num(r.stats().millis()) + ",\"downtime-estimate-ms\":"
                    + num(r.estimateMs()));
            case MigrationEvent.Reinit r -> event("TERN_MIGRATION_REINIT", "\"device-id\":"
                    + JsonWriter.quote(r.device()) + ",\"initial-bytes\":" + r.initialBytes());
            case MigrationEvent.SwitchoverAck a -> event("TERN_SWITCHOVER_ACK", "\"device-id\":"
                    + JsonWriter.quote(a.device()) + ",\"count\":" + a.count());
            case MigrationEvent.Downtime d -> event("TERN_MIGRATION_DOWNTIME", "\"downtime-ms\":" + num(d.downtimeMs())
                    + ",\"downtime-estimate-ms\":" + num(d.estimateMs()));
        };
    }

    private static String event(final String name, final String data) {
        return "\"event\":\"" + name + "\",\"data\":{" + data + "}";
    }

    private static String num(final double v) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.3f", v);
    }
}
