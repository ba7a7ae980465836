package dev.tern.protocol.v1;

/** The answer of a {@link V1Policy} to a write of {@code device_state}. */
public sealed interface V1Verdict {

    /** The transition is allowed. */
    record Allowed() implements V1Verdict {
    }

    /**
     * The transition is refused; the driver returns {@code -EINVAL} and keeps its state.
     *
     * @param reason one line saying why
     */
    record Refused(String reason) implements V1Verdict {
    }
}
