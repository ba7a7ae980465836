package dev.tern.migration;

import dev.tern.json.JsonWriter;
import dev.tern.vmm.GuestMemory;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of a completed migration, as measured on the source.
 *
 * @param verification per device and for guest memory: verified (the destination's checksum equalled the
 *        source's at switchover), mismatch, not verifiable (with the reason) or off; see {@link #verified()}
 * @param downtimeMs first source device leaving RUNNING (its P2P arc) → the destination's last device RUNNING
 *        (the COMMITTED record's arrival)
 * @param totalMs connect → commit acknowledged
 * @param bytes every device-state and memory byte sent (payloads, not framing)
 * @param rounds pre-copy rounds
 * @param roundStats per pre-copy round
 * @param devices per device
 * @param memoryBytes guest memory bytes sent
 * @param spans the timeline
 * @param budget the downtime estimated before the switchover against the target and the hard budget
 * @param clockOriginNanos the timeline's 0 on the migration's clock ({@link System#nanoTime()}, i.e. Linux's
 *        {@code CLOCK_MONOTONIC}): with it the spans line up with an outside profile of the same run
 *        ({@code perf record -k CLOCK_MONOTONIC}, BENCHMARKS.md)
 */
public record MigrationReport(Verification verification, double downtimeMs, double totalMs, long bytes, int rounds,
        List<RoundStats> roundStats, List<DeviceStats> devices, long memoryBytes, List<Timeline.Span> spans,
        DowntimeBudget budget, long clockOriginNanos) {

    /**
     * What the source expected the downtime to be when it decided to switch over ({@link SwitchoverPolicy}).
     *
     * @param estimateMs the estimate at the switchover decision, NaN without pre-copy (no bandwidth measured)
     * @param limitMs    the convergence target ({@code --downtime-limit})
     * @param maxMs      the hard budget ({@code --max-downtime}), 0 for none
     */
    public record DowntimeBudget(double estimateMs, double limitMs, double maxMs) {
        /** {@return true if a downtime was estimated} */
        public boolean estimated() {
            return !Double.isNaN(estimateMs);
        }
    }

    /** {@return measured minus estimated downtime in ms (NaN without an estimate)} */
    public double estimateErrorMs() {
        return downtimeMs - budget.estimateMs();
    }

    /** {@return whether the measured downtime kept the hard budget; null without one} */
    public Boolean budgetKept() {
        return budget.maxMs() <= 0 ? null : downtimeMs <= budget.maxMs();
    }

    /**
     * One pre-copy round.
     *
     * @param round 1-based
     * @param deviceBytes device pre-copy bytes sent
     * @param memoryBytes guest memory bytes sent
     * @param millis duration
     * @param dirtyPages guest pages found dirty (guest writes and device DMA)
     * @param remainingBytes the estimate the convergence rule compared after the round
     */
    public record RoundStats(int round, long deviceBytes, long memoryBytes, double millis, long dirtyPages,
            long remainingBytes) {
        /** {@return bytes dirtied per second during the round (its dirty pages over its duration)} */
        public double dirtyRate() {
            return millis <= 0 ? 0 : dirtyPages * (double) GuestMemory.PAGE * 1000 / millis;
        }
    }

    /**
     * One device.
     *
     * @param name the device's name
     * @param kind its kind
     * @param precopyBytes state bytes sent while running
     * @param stopCopyBytes state bytes sent during the downtime
     */
    public record DeviceStats(String name, String kind, long precopyBytes, long stopCopyBytes) {
    }

    /** Copies the lists. */
    public MigrationReport {
        roundStats = List.copyOf(roundStats);
        devices = List.copyOf(devices);
        spans = List.copyOf(spans);
        if (verification.devices().size() != devices.size()) {
            throw new IllegalArgumentException(verification.devices().size() + " verifications for "
                    + devices.size() + " devices");
        }
    }

    /** {@return {@link Verification#verified()}: true, false (a checksum differed) or null (not everything checked)} */
    public Boolean verified() {
        return verification.verified();
    }

    /**
     * {@return the report as one JSON object (keys: verified — true, false or null —, downtime_ms,
     * downtime_estimate_ms, downtime_limit_ms, max_downtime_ms, max_downtime_kept, total_ms, bytes,
     * rounds, memory_bytes, memory_verification, devices with their verification, round_stats, clock_origin_ns,
     * timeline)}
     */
    public String toJson() {
        final StringBuilder sb = new StringBuilder("{");
        sb.append("\"verified\":").append(verified())
                .append(",\"downtime_ms\":").append(num(downtimeMs))
                .append(",\"downtime_estimate_ms\":").append(budget.estimated() ? num(budget.estimateMs()) : "null")
                .append(",\"downtime_limit_ms\":").append(num(budget.limitMs()))
                .append(",\"max_downtime_ms\":").append(budget.maxMs() > 0 ? num(budget.maxMs()) : "null")
                .append(",\"max_downtime_kept\":").append(budgetKept())
                .append(",\"total_ms\":").append(num(totalMs))
                .append(",\"bytes\":").append(bytes)
                .append(",\"rounds\":").append(rounds)
                .append(",\"memory_bytes\":").append(memoryBytes);
        check(sb, "memory_verification", verification.memory());
        sb.append(",\"devices\":[");
        for (int i = 0; i < devices.size(); i++) {
            final DeviceStats d = devices.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(JsonWriter.quote(d.name())).append(",\"kind\":")
                    .append(JsonWriter.quote(d.kind())).append(",\"precopy_bytes\":").append(d.precopyBytes())
                    .append(",\"stop_copy_bytes\":").append(d.stopCopyBytes());
            check(sb, "verification", verification.devices().get(i));
            sb.append('}');
        }
        sb.append("],\"round_stats\":[");
        for (int i = 0; i < roundStats.size(); i++) {
            final RoundStats r = roundStats.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"round\":").append(r.round()).append(",\"device_bytes\":")
                    .append(r.deviceBytes()).append(",\"memory_bytes\":").append(r.memoryBytes())
                    .append(",\"ms\":").append(num(r.millis())).append(",\"dirty_pages\":").append(r.dirtyPages())
                    .append(",\"dirty_bytes_per_s\":").append(num(r.dirtyRate()))
                    .append(",\"remaining_bytes\":").append(r.remainingBytes()).append('}');
        }
        sb.append("],\"clock_origin_ns\":").append(clockOriginNanos).append(",\"timeline\":[");
        for (int i = 0; i < spans.size(); i++) {
            final Timeline.Span s = spans.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"phase\":").append(JsonWriter.quote(s.phase().name())).append(",\"subject\":")
                    .append(JsonWriter.quote(s.subject())).append(",\"round\":").append(s.round()).append(",\"start_ms\":")
                    .append(num(s.startNanos() / 1e6)).append(",\"end_ms\":").append(num(s.endNanos() / 1e6))
                    .append(",\"bytes\":").append(s.bytes()).append('}');
        }
        return sb.append("]}").toString();
    }

    private static void check(final StringBuilder sb, final String key, final Verification.Check c) {
        sb.append(",\"").append(key).append("\":").append(JsonWriter.quote(c.status().text()));
        if (!c.detail().isEmpty()) {
            sb.append(",\"").append(key).append("_detail\":").append(JsonWriter.quote(c.detail()));
        }
    }

    private static String num(final double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
