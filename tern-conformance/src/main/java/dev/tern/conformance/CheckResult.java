package dev.tern.conformance;

/**
 * The outcome of one conformance check.
 *
 * @param name what was checked, e.g. {@code transition RUNNING -> STOP_COPY}
 * @param passed true if the target behaved as the uAPI requires
 * @param detail what was observed (on failure: what differed)
 * @param skipped true if this subject could not run the check ({@link #skip}); {@code passed} is then true
 */
public record CheckResult(String name, boolean passed, String detail, boolean skipped) {

    /**
     * A check that ran: passed or failed.
     *
     * @param name what was checked
     * @param passed true if the target behaved as the uAPI requires
     * @param detail what was observed
     */
    public CheckResult(final String name, final boolean passed, final String detail) {
        this(name, passed, detail, false);
    }

    /**
     * A check this subject cannot run (e.g. fault injection over a vfio-user server that does not offer it); it
     * counts as neither passed nor failed.
     *
     * @param name what would have been checked
     * @param reason why this subject cannot run it
     * @return the skipped result
     */
    public static CheckResult skip(final String name, final String reason) {
        return new CheckResult(name, true, reason, true);
    }

    /** @return {@code PASS name: detail} / {@code FAIL …} / {@code SKIP …}, one line as the CLI prints it */
    @Override
    public String toString() {
        return (skipped ? "SKIP " : passed ? "PASS " : "FAIL ") + name + (detail.isEmpty() ? "" : ": " + detail);
    }
}
