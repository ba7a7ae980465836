package dev.tern.cli;

import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;

/**
 * Renderings of the next-step table over all 8×8 (from, to) pairs. The CSV form is a contract other tools
 * parse: header {@code from,to,next}, uAPI names without prefix, {@code INVALID} where the kernel refuses.
 */
enum FsmTableFormat {
    csv {
        @Override
        String render(final MigrationFlags flags) {
            final StringBuilder sb = new StringBuilder("from,to,next\n");
            for (final MigrationState from : MigrationState.values()) {
                for (final MigrationState to : MigrationState.values()) {
                    sb.append(from).append(',').append(to).append(',').append(next(from, to, flags)).append('\n');
                }
            }
            return sb.toString();
        }
    },
    text {
        @Override
        String render(final MigrationFlags flags) {
            final StringBuilder sb = new StringBuilder("next step, features " + flags
                    + " (rows: from, columns: to; . = refused)\n");
            sb.append(String.format("%-13s", "from \\ to"));
            for (final MigrationState to : MigrationState.values()) {
                sb.append(String.format(" %-12s", to));
            }
            sb.append('\n');
            for (final MigrationState from : MigrationState.values()) {
                sb.append(String.format("%-13s", from));
                for (final MigrationState to : MigrationState.values()) {
                    final String next = next(from, to, flags);
                    sb.append(String.format(" %-12s", next.equals(INVALID) ? "." : next));
                }
                sb.setLength(sb.toString().stripTrailing().length());
                sb.append('\n');
            }
            return sb.toString();
        }
    },
    json {
        @Override
        String render(final MigrationFlags flags) {
            final StringBuilder sb = new StringBuilder("{\"features\":[");
            sb.append(String.join(",", java.util.Arrays.stream(flags.toString().split(","))
                    .map(f -> "\"" + f + "\"").toList()));
            sb.append("],\"flags\":").append(flags.bits()).append(",\"table\":[");
            String sep = "";
            for (final MigrationState from : MigrationState.values()) {
                for (final MigrationState to : MigrationState.values()) {
                    sb.append(sep).append("{\"from\":\"").append(from).append("\",\"to\":\"").append(to)
                            .append("\",\"next\":\"").append(next(from, to, flags)).append("\"}");
                    sep = ",";
                }
            }
            return sb.append("]}\n").toString();
        }
    };

    /** The cell value where the kernel refuses the request. */
    static final String INVALID = "INVALID";

    abstract String render(MigrationFlags flags);

    private static String next(final MigrationState from, final MigrationState to, final MigrationFlags flags) {
        final MigrationState next = MigrationFsm.next(from, to, flags);
        return next == MigrationState.ERROR ? INVALID : next.name();
    }
}
