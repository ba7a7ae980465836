package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a failure leaves on the source, for every combination the commit point distinguishes. */
class FailureRuleTest {

    @ParameterizedTest(name = "committed={0} rolledBack={1} peerAborted={2} -> {3}")
    @CsvSource(textBlock = """
            false, false, false, RECOVER
            false, false, true,  RECOVER
            false, true,  false, RECOVER
            true,  false, false, IN_DOUBT
            true,  true,  false, RECOVER
            true,  false, true,  RECOVER
            true,  true,  true,  RECOVER
            """)
    void decides(final boolean committed, final boolean rolledBack, final boolean peerAborted,
            final FailureRule expected) {
        assertThat(FailureRule.of(committed, rolledBack, peerAborted)).isEqualTo(expected);
    }
}
