package dev.tern.device.conformance;

/**
 * The outcome of one conformance check.
 *
 * @param name what was checked, e.g. {@code transition RUNNING -> STOP_COPY}
 * @param passed true if the target behaved as the uAPI requires
 * @param detail what was observed (on failure: what differed)
 */
public record CheckResult(String name, boolean passed, String detail) {

    /** @return {@code PASS name: detail} / {@code FAIL name: detail}, one line as the CLI prints it */
    @Override
    public String toString() {
        return (passed ? "PASS " : "FAIL ") + name + (detail.isEmpty() ? "" : ": " + detail);
    }
}
