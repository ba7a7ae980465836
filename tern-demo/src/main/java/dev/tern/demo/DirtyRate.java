package dev.tern.demo;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast the demo's workload rewrites memory: a percentage of each memory per second (so a larger VM dirties
 * more), or an absolute rate applied to guest memory and to each device alike (so the dirty set stays the same
 * whatever the VM's size — what downtime should scale with, issue 13 item 2).
 *
 * @param percent        percent per second, when {@code bytesPerSecond} is negative
 * @param bytesPerSecond an absolute rate, or -1
 */
public record DirtyRate(double percent, long bytesPerSecond) {

    private static final Pattern ABSOLUTE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMG]?)(?:I?B)?/S");

    /** Validates the values. */
    public DirtyRate {
        if (bytesPerSecond < 0 && !(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("dirty rate must be 0..100 percent per second");
        }
    }

    /**
     * {@return a rate of {@code percent} per second of each memory}
     *
     * @param percent percent of each memory per second
     */
    public static DirtyRate percent(final double percent) {
        return new DirtyRate(percent, -1);
    }

    /**
     * {@return an absolute rate}
     *
     * @param bytesPerSecond bytes of guest memory per second
     */
    public static DirtyRate absolute(final long bytesPerSecond) {
        return new DirtyRate(0, bytesPerSecond);
    }

    /**
     * Parses a rate as a command line gives it, relative (fraction of memory per second) or absolute (bytes per
     * second).
     *
     * @param text {@code 1.5}, {@code 1.5%} (per second), or {@code 4MiB/s}, {@code 512KiB/s}, {@code 1GiB/s},
     *             {@code 100000B/s}
     * @return the rate
     * @throws IllegalArgumentException with a one-line message
     */
    public static DirtyRate parse(final String text) {
        final String t = text.strip().toUpperCase(Locale.ROOT);
        final Matcher m = ABSOLUTE.matcher(t);
        if (m.matches()) {
            final int shift = switch (m.group(2)) {
                case "K" -> 10;
                case "M" -> 20;
                case "G" -> 30;
                default -> 0;
            };
            return absolute((long) (Double.parseDouble(m.group(1)) * (1L << shift)));
        }
        try {
            return percent(Double.parseDouble(t.endsWith("%") ? t.substring(0, t.length() - 1) : t));
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a dirty rate (e.g. 1.5 or 1.5% per second, "
                    + "or 4MiB/s)");
        }
    }

    /**
     * {@return bytes per second rewritten of a memory of {@code size} bytes}
     *
     * @param size the memory's size in bytes
     */
    public long of(final long size) {
        return bytesPerSecond >= 0 ? Math.min(bytesPerSecond, size * 100) : (long) (size * percent / 100);
    }

    @Override
    public String toString() {
        return bytesPerSecond >= 0 ? String.format(Locale.ROOT, "%.1f MiB/s", bytesPerSecond / 1048576.0)
                : String.format(Locale.ROOT, "%.1f %%/s", percent);
    }
}
