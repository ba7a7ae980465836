package dev.tern.device.conformance;

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
}
