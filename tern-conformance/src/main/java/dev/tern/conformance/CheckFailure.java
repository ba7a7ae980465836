package dev.tern.conformance;

/** A check's expectation did not hold; the message is the check's detail. */
final class CheckFailure extends RuntimeException {

    CheckFailure(final String message) {
        super(message, null, false, false);
    }

    /** Fails the check with {@code message} unless {@code condition}. */
    static void expect(final boolean condition, final String message) {
        if (!condition) {
            throw new CheckFailure(message);
        }
    }

    /** The check cannot run on this subject; {@link ConformanceKit#check} reports it as SKIP with the message. */
    static final class Skipped extends RuntimeException {
        Skipped(final String reason) {
            super(reason, null, false, false);
        }
    }

    /** Skips the check with {@code reason} unless {@code condition}. */
    static void skipUnless(final boolean condition, final String reason) {
        if (!condition) {
            throw new Skipped(reason);
        }
    }
}
