package dev.tern.migration.report;

import dev.tern.migration.MigrationReport;
import dev.tern.migration.Phase;
import dev.tern.migration.Timeline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One self-contained HTML page (inline CSS and SVG, no external assets): a timeline of the phases per subject with
 * the downtime window shaded, bytes and dirty rate per pre-copy round, and the per-device table.
 */
public final class HtmlReport {

    private static final int WIDTH = 900;
    private static final int LEFT = 110;
    private static final int ROW = 26;
    private static final String[] COLOURS = {"#5b8def", "#3fb68b", "#e6a23c", "#e05c5c", "#9b6bdf", "#4cb7c9",
        "#8a8a8a"};

    private HtmlReport() {
    }

    /**
     * Writes the page to {@code file}.
     *
     * @param r the report
     * @param title the page title
     * @param file where to write
     * @throws IOException if the file cannot be written
     */
    public static void write(final MigrationReport r, final String title, final Path file) throws IOException {
        Files.writeString(file, render(r, title), StandardCharsets.UTF_8);
    }

    /**
     * {@return the page}
     *
     * @param r the report
     * @param title the page title
     */
    public static String render(final MigrationReport r, final String title) {
        final StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
                        + "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;"
                        + "text-align:right}th:first-child,td:first-child{text-align:left}.k{font-size:28px;"
                        + "font-weight:600}.box{display:inline-block;margin-right:3em}svg text{font-size:12px}"
                        + "</style></head><body>\n<h1>").append(esc(title)).append("</h1>\n");
        sb.append(kpi("downtime", fmt(r.downtimeMs()) + " ms")).append(kpi("estimated", r.budget().estimated()
                ? fmt(r.budget().estimateMs()) + " ms" : "none")).append(kpi("total", fmt(r.totalMs()) + " ms"))
                .append(kpi("moved", mib(r.bytes()))).append(kpi("pre-copy rounds", Integer.toString(r.rounds())))
                .append(kpi("verified", String.valueOf(r.verified()))).append("\n<h2>Timeline</h2>\n")
                .append(timeline(r)).append("\n<h2>Pre-copy rounds</h2>\n").append(rounds(r))
                .append("\n<h2>Devices</h2>\n<table><tr><th>device</th><th>kind</th><th>pre-copy</th>"
                        + "<th>stop-copy</th><th>verification</th></tr>\n");
        for (int i = 0; i < r.devices().size(); i++) {
            final MigrationReport.DeviceStats d = r.devices().get(i);
            sb.append("<tr><td>").append(esc(d.name())).append("</td><td>").append(esc(d.kind())).append("</td><td>")
                    .append(mib(d.precopyBytes())).append("</td><td>").append(mib(d.stopCopyBytes()))
                    .append("</td><td>").append(esc(r.verification().devices().get(i).describe()))
                    .append("</td></tr>\n");
        }
        return sb.append("<tr><td>guest memory</td><td></td><td colspan=\"2\">").append(mib(r.memoryBytes()))
                .append("</td><td>").append(esc(r.verification().memory().describe()))
                .append("</td></tr></table>\n<p>downtime ").append(fmt(r.downtimeMs())).append(" ms")
                .append(esc(TextReport.budget(r))).append("</p>\n<p>verified: ")
                .append(esc(TextReport.verdict(r.verification())))
                .append("</p>\n</body></html>\n").toString();
    }

    private static String timeline(final MigrationReport r) {
        final List<Timeline.Span> spans = r.spans();
        final List<String> subjects = new ArrayList<>();
        double end = 1;
        for (final Timeline.Span s : spans) {
            if (!subjects.contains(s.subject())) {
                subjects.add(s.subject());
            }
            end = Math.max(end, s.endNanos() / 1e6);
        }
        final double scale = (WIDTH - LEFT - 10) / end;
        final int height = subjects.size() * ROW + 40;
        final StringBuilder sb = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + WIDTH
                + "\" height=\"" + height + "\" role=\"img\" aria-label=\"migration timeline\">\n");
        final double downStart = spans.stream().filter(s -> s.phase() == Phase.P2P).mapToDouble(s -> s.startNanos()
                / 1e6).min().orElse(-1);
        if (downStart >= 0) {
            final double x = LEFT + downStart * scale;
            sb.append(rect(x, 0, Math.max(2, r.downtimeMs() * scale), height - 20, "#f5d0d0", "downtime "
                    + fmt(r.downtimeMs()) + " ms")).append(text(x + 3, height - 6, "downtime " + fmt(r.downtimeMs())
                    + " ms"));
        }
        for (int i = 0; i < subjects.size(); i++) {
            sb.append(text(4, i * ROW + 18, subjects.get(i)));
        }
        for (final Timeline.Span s : spans) {
            final int row = subjects.indexOf(s.subject());
            final double x = LEFT + s.startNanos() / 1e6 * scale;
            sb.append(rect(x, row * ROW + 4, Math.max(1.5, s.millis() * scale), ROW - 8,
                    COLOURS[s.phase().ordinal() % COLOURS.length], s.phase() + (s.round() > 0 ? " round "
                    + s.round() : "") + ": " + fmt(s.millis()) + " ms" + (s.bytes() > 0 ? ", " + mib(s.bytes())
                    : "")));
        }
        int x = LEFT;
        for (final Phase p : Phase.values()) {
            sb.append(rect(x, height - 36, 10, 10, COLOURS[p.ordinal() % COLOURS.length], p.name()))
                    .append(text(x + 14, height - 27, p.name()));
            x += 14 + p.name().length() * 8 + 10;
        }
        return sb.append("</svg>").toString();
    }

    private static String rounds(final MigrationReport r) {
        if (r.roundStats().isEmpty()) {
            return "<p>No pre-copy: everything moved during the downtime.</p>";
        }
        long max = 1;
        for (final MigrationReport.RoundStats s : r.roundStats()) {
            max = Math.max(max, s.deviceBytes() + s.memoryBytes());
        }
        final int barW = Math.min(80, (WIDTH - LEFT) / r.roundStats().size());
        final StringBuilder sb = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + WIDTH
                + "\" height=\"200\" role=\"img\" aria-label=\"bytes per round\">\n");
        for (int i = 0; i < r.roundStats().size(); i++) {
            final MigrationReport.RoundStats s = r.roundStats().get(i);
            final double hDev = 150.0 * s.deviceBytes() / max;
            final double hMem = 150.0 * s.memoryBytes() / max;
            final double x = LEFT + i * barW;
            sb.append(rect(x, 160 - hDev - hMem, barW - 6, hMem, "#3fb68b", "round " + s.round() + " memory "
                    + mib(s.memoryBytes()))).append(rect(x, 160 - hDev, barW - 6, hDev, "#5b8def", "round "
                    + s.round() + " devices " + mib(s.deviceBytes()))).append(text(x, 176, "#" + s.round()))
                    .append(text(x, 192, mib(s.deviceBytes() + s.memoryBytes())));
        }
        sb.append(text(4, 20, "bytes/round")).append(text(4, 36, "blue: devices")).append(text(4, 52,
                "green: memory")).append("</svg>\n<table><tr><th>round</th><th>devices</th><th>memory</th>"
                + "<th>ms</th><th>dirty pages</th><th>dirty rate</th><th>remaining</th></tr>\n");
        for (final MigrationReport.RoundStats s : r.roundStats()) {
            sb.append("<tr><td>").append(s.round()).append("</td><td>").append(mib(s.deviceBytes()))
                    .append("</td><td>").append(mib(s.memoryBytes())).append("</td><td>").append(fmt(s.millis()))
                    .append("</td><td>").append(s.dirtyPages()).append("</td><td>")
                    .append(mib((long) s.dirtyRate())).append("/s</td><td>").append(mib(s.remainingBytes()))
                    .append("</td></tr>\n");
        }
        return sb.append("</table>").toString();
    }

    private static String kpi(final String label, final String value) {
        return "<div class=\"box\"><div>" + esc(label) + "</div><div class=\"k\">" + esc(value) + "</div></div>";
    }

    private static String rect(final double x, final double y, final double w, final double h, final String fill,
            final String tip) {
        return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                + "<title>%s</title></rect>%n", x, y, w, h, fill, esc(tip));
    }

    private static String text(final double x, final double y, final String s) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", x, y, esc(s));
    }

    private static String fmt(final double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String mib(final long bytes) {
        return TextReport.mib(bytes);
    }

    private static String esc(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
