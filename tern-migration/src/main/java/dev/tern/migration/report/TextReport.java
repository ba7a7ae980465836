package dev.tern.migration.report;

import dev.tern.migration.MigrationReport;
import dev.tern.migration.Timeline;
import dev.tern.migration.Verification;
import java.util.Locale;

/** The report for a terminal: the timeline, per-device bytes, the downtime, and the verdict. */
public final class TextReport {
    private TextReport() {
    }

    /**
     * {@return several lines ending with {@code verified: true}, {@code verified: false (…)} or
     * {@code verified: null (…)} (nothing differed, but not everything was checked: the reason follows)}
     *
     * @param r the report
     */
    public static String render(final MigrationReport r) {
        final StringBuilder sb = new StringBuilder("timeline (ms from start):\n");
        for (final Timeline.Span s : r.spans()) {
            sb.append(String.format(Locale.ROOT, "  %9.1f %9.1f  %-9s %-12s %s%s%n", s.startNanos() / 1e6,
                    s.endNanos() / 1e6, s.phase(), s.subject(), s.round() > 0 ? "round " + s.round() + " " : "",
                    s.bytes() > 0 ? mib(s.bytes()) : ""));
        }
        sb.append("devices:\n");
        for (int i = 0; i < r.devices().size(); i++) {
            final MigrationReport.DeviceStats d = r.devices().get(i);
            sb.append(String.format(Locale.ROOT, "  %-12s %-10s pre-copy %s, stop-copy %s, %s%n", d.name(), d.kind(),
                    mib(d.precopyBytes()), mib(d.stopCopyBytes()), r.verification().devices().get(i).describe()));
        }
        sb.append(String.format(Locale.ROOT, "guest memory: %s sent, %s%n", mib(r.memoryBytes()),
                r.verification().memory().describe()));
        sb.append(String.format(Locale.ROOT, "rounds: %d, bytes: %s, total: %.1f ms%n", r.rounds(), mib(r.bytes()),
                r.totalMs()));
        sb.append(String.format(Locale.ROOT, "downtime: %.1f ms%s%n", r.downtimeMs(), budget(r)));
        sb.append("verified: ").append(verdict(r.verification())).append('\n');
        return sb.toString();
    }

    /**
     * {@return the estimate beside the measured downtime, and the hard budget if one was set}
     *
     * @param r the report
     */
    public static String budget(final MigrationReport r) {
        final MigrationReport.DowntimeBudget b = r.budget();
        final String estimate = b.estimated() ? String.format(Locale.ROOT, " (estimated %.1f ms, error %+.1f ms)",
                b.estimateMs(), r.estimateErrorMs()) : " (no estimate: no pre-copy)";
        return estimate + (b.maxMs() > 0 ? String.format(Locale.ROOT, ", max %.0f ms %s", b.maxMs(),
                r.budgetKept() ? "kept" : "EXCEEDED") : "");
    }

    /**
     * {@return the overall verdict, with what it rests on when it is not a plain true}
     *
     * @param v the verification
     */
    public static String verdict(final Verification v) {
        final Boolean verified = v.verified();
        if (Boolean.TRUE.equals(verified)) {
            return "true";
        }
        if (Boolean.FALSE.equals(verified)) {
            return "false (a checksum differed)";
        }
        if (v.memory().status() == Verification.Status.OFF) {
            return "null (verification off)";
        }
        final long unchecked = v.devices().stream().filter(c -> c.status() != Verification.Status.VERIFIED).count();
        return "null (guest memory and " + (v.devices().size() - unchecked) + " of " + v.devices().size()
                + " devices verified; " + unchecked + " not verifiable)";
    }

    /**
     * {@return a size a person reads at a glance: {@code 312 B}, {@code 4.0 KiB}, {@code 256.7 MiB}, {@code 1.2 GiB}}
     *
     * @param bytes a byte count
     */
    public static String mib(final long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes / 1024.0;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
